import threading


class Tree:
    def __init__(self):
        self.lock = threading.RLock()
        self.nodes = []

    def add(self, value):
        with self.lock:
            self.nodes.append(value)

    def add_many(self, values):
        with self.lock:
            for v in values:
                self.add(v)

    def factorial(self, n):
        with self.lock:
            return 1 if n <= 1 else n * self.factorial(n - 1)


tree = Tree()
threads = [threading.Thread(target=tree.add_many, args=(range(i * 10, i * 10 + 5),)) for i in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(tree.nodes))
print(tree.factorial(25))
