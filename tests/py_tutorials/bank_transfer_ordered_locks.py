import threading
import logging
import time

logging.basicConfig(level=logging.INFO, format="%(levelname)s:%(name)s:%(threadName)s:%(message)s")
log = logging.getLogger("bank")

class Account:
    _ids = 0
    _ids_lock = threading.Lock()

    def __init__(self, balance):
        with Account._ids_lock:
            Account._ids += 1
            self.id = Account._ids
        self.balance = balance
        self._lock = threading.RLock()

    def transfer(self, other, amount):
        first, second = sorted([self, other], key=lambda a: a.id)
        with first._lock, second._lock:
            if self.balance < amount:
                log.warning("insufficient funds in %d", self.id)
                return False
            self.balance -= amount
            other.balance += amount
            return True

a, b = Account(100), Account(50)
def mover(src, dst, n):
    for _ in range(n):
        src.transfer(dst, 1)
ts = [threading.Thread(target=mover, args=(a, b, 30), name="A->B"),
      threading.Thread(target=mover, args=(b, a, 20), name="B->A")]
for t in ts: t.start()
for t in ts: t.join()
print(a.balance, b.balance, a.balance + b.balance)
print(a.transfer(b, 1000))
log.info("done")
