import threading
from collections import Counter, defaultdict, namedtuple, OrderedDict, deque

TEXT = "the quick brown fox jumps over the lazy dog the fox".split()
counts = Counter()
lock = threading.Lock()


def count_words(words):
    local = Counter(words)
    with lock:
        counts.update(local)


chunks = [TEXT[i:i + 3] for i in range(0, len(TEXT), 3)]
threads = [threading.Thread(target=count_words, args=(c,)) for c in chunks]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(counts.most_common(), key=lambda kv: (-kv[1], kv[0]))[:3])
print(counts["the"], counts["cat"])

groups = defaultdict(list)
for w in TEXT:
    groups[len(w)].append(w)
print(sorted(groups.items()))

Point = namedtuple("Point", ["x", "y"])
p = Point(3, 4)
print(p, p.x + p.y, p._asdict())

od = OrderedDict()
od["b"] = 1
od["a"] = 2
od.move_to_end("b")
print(list(od.keys()))

history = deque(maxlen=3)
for i in range(6):
    history.append(i)
print(history, len(history))
history.appendleft(-1)
print(history.pop(), history.popleft(), history)
