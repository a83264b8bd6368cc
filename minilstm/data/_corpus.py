"""A small built-in corpus for the character-level text task.

Original prose written for minilstm (released with it under the MIT license):
plain ASCII English, about thirteen kilobytes, enough for a character model to learn
spelling, spaces and punctuation in a minute on a CPU.
"""

CORPUS = """\
THE KEEPER OF THE LIGHT

On the last rock before the open sea there stood a lighthouse, and in the
lighthouse there lived a keeper who wrote everything down. He wrote the height
of the tide at dawn and at dusk. He wrote the colour of the water, the shape
of the clouds, the number of gulls on the rail, and the names of the ships
that passed. He did not write because anyone asked him to. He wrote because
the sea forgot everything, and he did not want to forget with it.

Each evening he climbed the stairs, one hundred and twelve of them, and lit
the lamp. Each morning he climbed them again and put it out. Between the two
climbs the light turned and turned, and far away the sailors counted its
flashes: one long, two short, one long. That was the word the rock spoke to
them, and it meant: here is the rock, keep away, go home safely.

In winter the storms came from the west. The waves broke over the rail and
the windows ran with salt, and the keeper sat by the stove with his book on
his knees. He read back through the pages. A storm like this one, he found,
had come three winters ago, in the same week, and another five winters before
that. The sea did not remember, but the book did, and the book could tell him
what the sea was likely to do next.

A girl from the village rowed out once a month with bread, lamp oil and
letters. She asked him why he kept so many pages. "If you only want to know
tomorrow," she said, "today should be enough." The keeper shook his head.
"Today is enough for the small things," he said. "Whether it will rain, whether
the wind will turn. But the big things come slowly. To see them you must hold
on to something from long ago, and carry it, and not let the little things
wash it away."

She thought about this on the long row home. She thought about her mother,
who could tell from the smell of the morning air whether the herring would
come, and about her grandfather, who knew which years the ice would close the
bay. They had not written anything down. They had carried it.

The next month she brought him a new book, because the old one was full. He
thanked her and opened it, and on the first page he wrote the date, the tide,
the wind, and then, after a moment, her name.

Years later, when the light was run by a machine and the keeper had gone to
live in the village, the girl, now grown, climbed the stairs once more. The
shelves were still there, and the books were still on them, forty of them in
a row, their spines white with salt. She took down the first and read the
first line, and then the next, and the next. The sea outside was grey and
patient. It had forgotten the keeper already. The books had not.

A NOTE ON MEMORY

A river does not remember the rain of last spring, yet its banks do: the
sand is laid down in thin bands, one for each flood, and a patient reader
can count them like the rings of a tree. Memory is not a thing that is kept
in one place. It is a habit of the world, a way that what happened before
leaves a mark on what happens after.

A good memory is not the one that keeps the most. It is the one that keeps
the right things, for the right length of time, and lets the rest go. A
clerk who copies every word of every letter soon cannot find anything at
all. A clerk who keeps only the totals, and the one promise that must be
kept next year, does his work well. To remember is also to choose what to
forget, and to open the door to new things only when they matter.

So it is with a small machine that reads one letter at a time. It must hold
on to the opening of a quotation until the quotation closes, to the subject
of a sentence until its verb arrives, to the start of a story until its end.
It has a little room inside it and three doors: one to let things in, one to
let things out, and one through which old things may leave. It learns, from
many pages, when to open each door. That is all it does, and it is enough to
write a passable sentence, and now and then a line that nobody taught it.

THE MILLER AND THE RIVER

There was once a miller who lived beside a river, and the river turned his
wheel, and the wheel turned his stones, and the stones ground the grain that
the farmers brought him from the hills. In the spring the river was high and
fast, and the wheel turned so quickly that the miller had to slow it with a
board. In the summer the river was low and slow, and the wheel turned so
gently that the miller could count each turn. He knew the river as a man
knows an old friend: its moods, its habits, and the sound it made at night.

One summer the river did not come down at all. The farmers came to the mill
with their carts full of grain, and the miller stood at the door and shook
his head. "The river is asleep," he said. "When it wakes, I will grind your
grain." The farmers waited one day, and then two, and then a week. The grain
sat in the carts and the carts sat in the yard, and still the wheel did not
turn.

So the miller walked up the river to see what had happened to it. He walked
for a day along the dry bed, past the stones that the water had always
covered, past the fish that had been left in the pools, past the roots of
the willows that hung in the air. At the end of the day he came to a wall
of stones and mud and branches that lay across the river, and behind the
wall the water stood deep and still. A family of beavers had built it, and
they sat on the top of their wall and looked at him.

The miller did not break the wall. He sat down beside it and thought. The
beavers needed the water to keep their house safe, and the farmers needed
the water to grind their grain, and the river had enough water for both if
it was shared. So he took a few stones from the side of the wall, only a
few, and the water began to run again, slowly, down the old bed toward the
mill. The beavers watched him, and when he had gone they did not put the
stones back.

When the miller came home the wheel was turning. The farmers were grinding
their grain, and the children were playing in the water, and the yard was
full of flour and noise. The miller said nothing about the beavers. But
every summer after that he walked up the river to see his neighbours, and
every summer he took a few stones from the side of their wall, and every
summer the river came down to the mill.

THE MAP MAKER

A young woman once set out to make a map of her country. She took a notebook,
a pencil, a compass and a length of string, and she walked from one end of
the country to the other. She measured the roads with the string and the
hills with her legs, and she wrote down the names of the villages and the
rivers and the farms. At night she sat by the fire in the inns and drew what
she had seen that day, one small square of the map at a time.

It took her three years. When she came home she laid the squares on the
floor of her room, and put them together, and looked at the whole of her
country for the first time. It was smaller than she had thought, and more
beautiful. The roads ran from village to village like threads, and the
rivers ran from the hills to the sea, and every name on the map was a place
where she had slept, or eaten, or asked the way.

People came to see the map and to find their own villages on it. An old man
found the farm where he was born, and a child found the school where she
learned to read, and a sailor found the harbour where his ship was built.
Each of them said the same thing: "I did not know it was so close to the
others." The map did not tell them anything new about their own places. It
told them how their places were joined.

The young woman made copies of the map and gave them to the schools. She
did not make another map. When people asked her why, she said that a map is
only the memory of a walk, and that she would rather take another walk. So
she put her notebook and her pencil in her pocket, and her compass and her
string, and she set out again, to see what had changed.

HOW TO READ A LONG BOOK

Read the first page slowly, and the second page a little faster. Keep the
names of the people in your head, and the place where the story begins, and
the thing that somebody wants. Most of what you read you will forget by the
next chapter, and that is as it should be: the colour of a coat, the weather
on a Tuesday, the words of a song that somebody sang at a wedding. But the
thing that somebody wants you must carry from the first page to the last,
because the whole book is about whether they get it.

When you put the book down at night, do not try to remember every page. Try
to remember where you are, and who is with you, and what is about to happen.
In the morning you will open the book again and find that the rest comes
back by itself, as a road comes back when you walk it a second time. A good
reader is not one who remembers the most. A good reader is one who keeps the
thread, and knows which things to let go, and which things to hold.

THE BAKER WHO ROSE IN THE DARK

In the town by the river there was a baker who got up every morning while
the stars were still out. She lit the oven first, because the oven was slow
to wake, and then she mixed the flour and the water and the salt in a great
wooden bowl. She kneaded the dough with both hands and folded it and turned
it, and folded it again, until it was smooth and soft and warm. Then she
covered it with a cloth and let it rest, and while it rested she swept the
floor and set out the baskets and wrote the prices on a board by the door.

When the dough had grown to twice as big she cut it into loaves and shaped
each one and laid it on a long tray. The oven was hot by then, and the
kitchen smelled of wood smoke. She slid the trays in one after another and
closed the iron door. Then she sat down on a stool by the window and drank a
cup of tea and watched the street. It was the only quiet hour of her day,
and she liked it best of all.

The first people to come were the fishermen, who wanted bread for the boats.
Then came the children on their way to school, who wanted something sweet,
and then the old men who sat in the square and talked about the weather. By
noon the baskets were empty and the board by the door said: sold out, come
back tomorrow. The baker cleaned the bowl and the trays and the table, and
went upstairs, and slept in the afternoon like a cat in the sun.

Her daughter asked her once why she did the same thing every day. The baker
thought about it for a long time. Because the bread does not keep, she said
at last. What I made yesterday is gone. If I want there to be bread
tomorrow, I have to make it again. Most good things are like that. You do
not make them once and put them on a shelf. You make them every morning, in
the dark, before anyone else is awake.

THE WALK TO THE HILL

Every Sunday the family walked to the top of the hill behind the village.
The path went up through a field of sheep, over a wall by a wooden stile,
and into a small wood of beech trees where the ground was soft with old
leaves. The youngest boy always ran ahead and hid behind the same tree, and
the others always pretended not to know where he was. His sister counted the
steps on the way up and told everyone the number at the top. It was never
the same number twice, and they argued about it all the way home.

From the top of the hill you could see the whole valley: the river and the
bridge, the church and the school, the road that went to the town and the
railway that went to the city. On a clear day you could see the sea, a thin
grey line at the edge of the sky. The father said that on a very clear day
you could see the lighthouse, but nobody else had ever seen it, and the
children said that he made it up.

They sat on the grass and ate their bread and cheese and apples, and the
mother read aloud from a book of old stories. The wind moved in the long
grass and the clouds moved over the valley, and their shadows moved over the
fields below, so that the whole valley seemed to breathe. Then they packed
up the basket and walked down again, more slowly than they had come up, and
the youngest boy fell asleep on the back of his father before they reached
the stile.

THE KEY OF THE HALL

The clock in the hall had been wound by the same hand for forty years. Every
evening at nine the old man opened the glass door and turned the key seven
times, no more and no less, and closed the door again. If he turned it six
times the clock stopped before morning, and if he turned it eight times the
spring was too tight and the clock ran fast. He had learned this when he was
young, from his mother, who had learned it from hers.

When he grew too old to climb the stairs, his grandson came to wind the
clock. The boy turned the key seven times and listened to it tick. What does
it count, he asked. It counts the seconds, said the old man, and the
minutes, and the hours. But it also counts the evenings when somebody
remembered to wind it. Each one of those is a small promise kept. The boy
did not understand, but he came back the next evening, and the one after
that, and in time he stopped asking what it counted.
"""
