"""A small built-in corpus for the character-level text task.

Original prose written for minilstm (released with it under the MIT license):
plain ASCII English, a few kilobytes, enough for a character model to learn
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
"""
