# The guard's program for an object shared by threads (bench/guard.py): four threads call a
# method that does `self.balance += n` on one Account, unlocked, so every attribute read and
# store goes through the lost-update detector (the seed's bank-account race, scaled down).
import threading


class Account:
    def __init__(self):
        self.balance = 0
        self.deposits = 0
        self.owner = "shared"

    def deposit(self, n):
        self.balance += n
        self.deposits += 1


def work(account):
    for i in range(5_000):
        account.deposit(i % 3)


account = Account()
threads = [threading.Thread(target=work, args=(account,)) for _ in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(account.deposits > 0, account.balance >= 0)
