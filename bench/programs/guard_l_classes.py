# The guard's copy of l_classes.py (bench/guard.py), scaled down for callgrind.
# Classes: instance attribute access and method calls (issue 21's suite).
class Account:
    rate = 2

    def __init__(self, owner):
        self.owner = owner
        self.balance = 0

    def deposit(self, n):
        self.balance += n
        return self.balance

    def interest(self):
        return self.balance * self.rate // 100


def main():
    accounts = [Account(str(i)) for i in range(10)]
    total = 0
    for i in range(10_000):
        a = accounts[i % 10]
        a.deposit(i % 7)
        total += a.interest()
    print(total, sum(a.balance for a in accounts))


main()
