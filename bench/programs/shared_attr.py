# A shared object updated from four threads, unlocked, as a learner writes the seed's
# bank-account race: every `self.balance += n` reads and stores attributes that the
# lost-update detector notes (bench/perf.py; its guard copy is guard_shared_attr.py).
import threading


class Account:
    def __init__(self):
        self.balance = 0
        self.count = 0
        self.owner = "x"
        self.history = None

    def deposit(self, n):
        self.balance += n
        self.count += 1


def work(a):
    for i in range(100_000):
        a.deposit(1)


a = Account()
ts = [threading.Thread(target=work, args=(a,)) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(a.count > 0)
