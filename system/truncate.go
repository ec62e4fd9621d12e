package system

import (
	"strings"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// MaxMessageLength is the longest message, in bytes, that AddEvent keeps
// as is. A longer one is cut, in the record itself, on a character boundary
// to at most MaxMessageLength bytes ending in "...". The plugin may get a
// shorter message than history holds: a message that is not valid UTF-8 is
// repaired on the copy the plugin gets (by the publisher), and cut again if
// the repair made it longer than MaxMessageLength.
const MaxMessageLength = 1024

// truncationSuffix marks a message that was cut (by AddEvent, or on the
// plugin's copy by marshalSafe).
const truncationSuffix = "..."

// replacementChar stands in for each byte of a string field that is not part
// of valid UTF-8 (U+FFFD, as Go's range loop and encoding/json decode it).
const replacementChar = "\uFFFD"

// prepareRecord is the first thing AddEvent and AddEvents do with a record,
// before the ring, the store or a stream sees it (after that nobody may write
// to it): a message longer than MaxMessageLength is cut as prepareMessage
// says (repaired, then cut on a character boundary). Anything within the
// limit costs one length check and is left alone.
//
// Text that is not valid UTF-8 in a field within the limit is not looked at
// here: history and streams hold the record as the caller made it (as in the
// reference design), and the publisher, which hands records to the plugin
// that marshals them, gives the plugin a repaired copy of such a record
// (marshalSafe). Checking every string of every record on the hot path
// cost about as much as the ring's claim and publish (docs/architecture.md,
// section 7.7).
func prepareRecord(ev *si.EventRecord) {
	if len(ev.Message) > MaxMessageLength {
		ev.Message = prepareMessage(ev.Message)
	}
}

// isASCII reports whether a, b and c hold only ASCII bytes (so they are
// valid UTF-8): it ORs their bytes together, a word at a time, and tests the
// high bits once. marshalSafe's fast path: about 3x faster on short fields
// than utf8.ValidString on each (BenchmarkPrepareRecord, impl=marshalSafe).
func isASCII(a, b, c string) bool {
	const high = 0x8080808080808080
	return (orBytes(a)|orBytes(b)|orBytes(c))&high == 0
}

// orBytes returns the OR of s's bytes, spread over the 8 bytes of a word. It
// reads s in 8-byte words and covers the rest with one more word ending at
// the end of s (reading some bytes twice), or with two overlapping smaller
// loads when s is shorter than a word: no loop over single bytes.
func orBytes(s string) uint64 {
	n := len(s)
	switch {
	case n >= 8:
		var acc uint64
		for i := 0; i+8 < n; i += 8 {
			acc |= load64(s[i:])
		}
		return acc | load64(s[n-8:])
	case n >= 4:
		return uint64(load32(s) | load32(s[n-4:]))
	case n >= 2:
		return uint64(s[0]) | uint64(s[1]) | uint64(s[n-1])
	case n == 1:
		return uint64(s[0])
	}
	return 0
}

// load64 reads the first 8 bytes of s as a little-endian word (the compiler
// turns it into one load).
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load32 reads the first 4 bytes of s as a little-endian word.
func load32(s string) uint32 {
	_ = s[3]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// prepareMessage returns msg repaired (see toValidUTF8) and then cut (see
// truncateMessage). Only the head of a long message can survive the cut, so
// only the head is looked at: repair never shortens text, so a byte beyond
// MaxMessageLength+utf8.UTFMax of msg (or a rune split there) lands beyond
// the cut.
func prepareMessage(msg string) string {
	if len(msg) > MaxMessageLength+utf8.UTFMax {
		msg = msg[:MaxMessageLength+utf8.UTFMax]
	}
	return truncateMessage(toValidUTF8(msg, MaxMessageLength))
}

// toValidUTF8 returns s with every byte that is not part of a valid UTF-8
// encoding replaced by U+FFFD; s itself (no allocation) when it is valid.
// With limit >= 0 it stops copying once the result is longer than limit
// bytes, so a huge message costs no more than the part that survives the cut;
// the result is then still longer than limit, and truncateMessage cuts it.
//
// Unlike strings.ToValidUTF8, which replaces a run of bad bytes by one
// replacement, each bad byte gets its own, so the repaired text shows how
// much was lost.
func toValidUTF8(s string, limit int) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	n := len(s)
	if limit >= 0 && n > limit+utf8.UTFMax {
		n = limit + utf8.UTFMax
	}
	b.Grow(n)
	for i := 0; i < len(s); {
		if limit >= 0 && b.Len() > limit {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString(replacementChar)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// marshalSafe returns ev, or a repaired copy of ev when one of its string
// fields is not valid UTF-8 (proto3 refuses to marshal such a field, and one
// such record would fail the whole batch the plugin sends). The copy shares
// every field with ev except the repaired ones: the message is repaired and
// cut as prepareMessage says, the object and reference IDs and the resource
// names (the keys of Resource.Resources) as toValidUTF8 says; if two names
// become equal, one of their quantities is kept. ev itself is never
// modified: it is shared with history and streams. The publisher applies it
// to each record of a batch before SendEvent, on its own goroutine, so every
// record the plugin receives marshals and AddEvent pays nothing for it.
func marshalSafe(ev *si.EventRecord) *si.EventRecord {
	if ev == nil {
		return ev
	}
	textOK := isASCII(ev.Message, ev.ObjectID, ev.ReferenceID) ||
		utf8.ValidString(ev.Message) && utf8.ValidString(ev.ObjectID) && utf8.ValidString(ev.ReferenceID)
	namesOK := true
	if ev.Resource != nil {
		for name := range ev.Resource.Resources {
			if !utf8.ValidString(name) {
				namesOK = false
				break
			}
		}
	}
	if textOK && namesOK {
		return ev
	}
	cp := &si.EventRecord{
		Type:              ev.Type,
		ObjectID:          toValidUTF8(ev.ObjectID, -1),
		Message:           prepareMessage(ev.Message),
		TimestampNano:     ev.TimestampNano,
		EventChangeType:   ev.EventChangeType,
		EventChangeDetail: ev.EventChangeDetail,
		ReferenceID:       toValidUTF8(ev.ReferenceID, -1),
		Resource:          ev.Resource,
	}
	if !namesOK {
		names := make(map[string]*si.Quantity, len(ev.Resource.Resources))
		for name, q := range ev.Resource.Resources {
			names[toValidUTF8(name, -1)] = q
		}
		cp.Resource = &si.Resource{Resources: names}
	}
	if unknown := ev.ProtoReflect().GetUnknown(); len(unknown) > 0 {
		cp.ProtoReflect().SetUnknown(append([]byte(nil), unknown...)) // the state, see EventState
	}
	return cp
}

// truncateMessage returns msg unchanged (and without allocating) when it is
// at most MaxMessageLength bytes long. Otherwise it returns a prefix of msg
// followed by "...", at most MaxMessageLength bytes in all. The cut is made on
// a rune boundary, so a message of valid UTF-8 stays valid UTF-8 and the
// record still passes protobuf's UTF-8 check when marshalled (the reference
// design cuts at a fixed byte offset, inside a multibyte character).
//
// prepareMessage repairs a message before it cuts it. Given invalid UTF-8,
// the cut backs off at most utf8.UTFMax-1 bytes looking for a rune start and
// otherwise cuts at the byte limit.
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
