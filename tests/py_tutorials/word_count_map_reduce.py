import threading
from collections import Counter
from functools import reduce

TEXT = """The quick brown fox jumps over the lazy dog
the dog barks and The fox runs
A quick brown dog"""

lines = TEXT.splitlines()
partials = [None] * len(lines)


def mapper(i, line):
    words = map(str.lower, line.split())
    partials[i] = Counter(map(str.strip, words))


threads = [threading.Thread(target=mapper, args=(i, line)) for i, line in enumerate(lines)]
for t in threads:
    t.start()
for t in threads:
    t.join()
total = reduce(lambda a, b: a + b, partials)
for word, n in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))[:5]:
    print(f"{word:>6} {n}")
print(sorted(set(map(str.upper, total)))[:4])
print(str.join(", ", sorted(total, key=str.lower)[:3]))
