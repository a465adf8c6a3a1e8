import threading


class Worker(threading.Thread):
    def __init__(self, number):
        super().__init__(name=f"worker-{number}")
        self.number = number
        self.result = None

    def run(self):
        self.result = sum(i * self.number for i in range(100))


workers = [Worker(n) for n in range(1, 5)]
for w in workers:
    w.start()
for w in workers:
    w.join()
for w in workers:
    print(w.name, w.result, w.is_alive())
print(threading.active_count())
print(threading.current_thread().name)
print(workers[0].getName(), workers[0].isDaemon())
