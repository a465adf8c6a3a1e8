import threading


class BankAccount:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance
        self.lock = threading.Lock()

    def deposit(self, amount):
        with self.lock:
            self.balance += amount

    def withdraw(self, amount):
        with self.lock:
            if amount > self.balance:
                raise ValueError(f"Insufficient funds: {self.balance} < {amount}")
            self.balance -= amount

    def __repr__(self):
        return f"BankAccount(owner={self.owner!r}, balance={self.balance})"


account = BankAccount("alice", 100)


def depositor():
    for _ in range(1000):
        account.deposit(1)


threads = [threading.Thread(target=depositor) for _ in range(5)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(account)
try:
    account.withdraw(10_000)
except ValueError as e:
    print("Error:", e)
