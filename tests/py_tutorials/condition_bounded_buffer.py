import threading


class BoundedBuffer:
    def __init__(self, capacity):
        self.capacity = capacity
        self.items = []
        self.cond = threading.Condition()

    def put(self, item):
        with self.cond:
            self.cond.wait_for(lambda: len(self.items) < self.capacity)
            self.items.append(item)
            self.cond.notify_all()

    def get(self):
        with self.cond:
            self.cond.wait_for(lambda: len(self.items) > 0)
            item = self.items.pop(0)
            self.cond.notify_all()
            return item


buf = BoundedBuffer(2)
received = []


def producer():
    for i in range(10):
        buf.put(i)


def consumer():
    for _ in range(10):
        received.append(buf.get())


ts = [threading.Thread(target=producer), threading.Thread(target=consumer)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(received)
