package system

import "unicode/utf8"

// MaxMessageLength is the longest message, in bytes, that AddEvent keeps
// as is. A longer one is cut, in the record itself, on a character boundary
// to at most MaxMessageLength bytes ending in "...".
const MaxMessageLength = 1024

// truncationSuffix marks a message that AddEvent cut.
const truncationSuffix = "..."

// truncateMessage returns msg unchanged (and without allocating) when it is
// at most MaxMessageLength bytes long. Otherwise it returns a prefix of msg
// followed by "...", at most MaxMessageLength bytes in all. The cut is made on
// a rune boundary, so a message of valid UTF-8 stays valid UTF-8 and the
// record still passes protobuf's UTF-8 check when marshalled (the reference
// design cuts at a fixed byte offset, inside a multibyte character).
//
// For a message that is not valid UTF-8 to begin with, the cut backs off at
// most utf8.UTFMax-1 bytes looking for a rune start and otherwise cuts at the
// byte limit: such a message never marshalled anyway.
func truncateMessage(msg string) string {
	if len(msg) <= MaxMessageLength {
		return msg
	}
	cut := MaxMessageLength - len(truncationSuffix)
	// msg[cut] is the first byte dropped. If it starts a rune, msg[:cut] ends
	// on a rune boundary; otherwise back off to the start of the rune that
	// msg[cut] continues, so that rune is dropped whole.
	for back := 0; back < utf8.UTFMax-1 && !utf8.RuneStart(msg[cut]); back++ {
		cut--
	}
	if !utf8.RuneStart(msg[cut]) {
		cut = MaxMessageLength - len(truncationSuffix)
	}
	return msg[:cut] + truncationSuffix
}
