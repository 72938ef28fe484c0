"""The HOUP's HTTPS API as both ends know it (docs/houp.md): the emulated HOUP (`houp/`) serves
it and the switch's client (`device/`) calls it. Each of them imports this package and neither
imports the other, so the contract is written once and the switch carries no server code.
`wire` holds the API's constants, `signatures` the check of the HOUP's signatures."""
