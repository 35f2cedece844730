"""The pure rules: the MAC rule, the plan, the option table, interface names, safe text, what is
stacked on a bond. Plain values in, plain values out: no I/O, no edge imported."""
