"""Demos: the Cenário 4 company in one command (`seed_cenario4`) and customers writing on
WhatsApp to it through a local stand-in for Meta's Graph API (`demo`).

An app of its own, above every other (it builds on accounts, inboxes, teams, conversations,
automations and whatsapp at once); nothing imports it.
"""
