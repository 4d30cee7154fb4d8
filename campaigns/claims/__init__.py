"""Claims: a customer who sees an incident differently says so in the portal; support answers in
a queue, and an accepted claim changes the exposure or adds goodwill through the same policy,
approval and ledger as every other amount."""
