package system

import (
	"strings"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// MaxMessageLength is the longest message, in bytes, that AddEvent keeps
// as is. A longer one is cut, in the record itself, on a character boundary
// to at most MaxMessageLength bytes ending in "...".
const MaxMessageLength = 1024

// truncationSuffix marks a message that AddEvent cut.
const truncationSuffix = "..."

// replacementChar stands in for each byte of a string field that is not part
// of valid UTF-8 (U+FFFD, as Go's range loop and encoding/json decode it).
const replacementChar = "\uFFFD"

// prepareRecord makes ev fit to be shared and marshalled: the first thing
// AddEvent and AddEvents do with a record, before the ring, the store or a
// stream sees it (after that nobody may write to it).
//
//   - Message: longer than MaxMessageLength, it is cut as truncateMessage
//     says.
//   - Message, ObjectID, ReferenceID and the resource names (the keys of
//     Resource.Resources): every byte that is not part of valid UTF-8 is
//     replaced by U+FFFD, because proto3 refuses to marshal a string field
//     holding invalid UTF-8, and one such record fails the whole batch the
//     plugin sends. A message is repaired before it is measured, so the
//     repaired message is the one cut to the limit.
//   - A resource with an invalid name is replaced by a repaired copy, never
//     modified: callers may share one *si.Resource between records. If two
//     names become equal after the repair, one of their quantities is kept.
//
// Fields that are valid already are left alone, without allocating. The
// common case (short, valid strings and a small resource map) costs a length
// check, utf8.ValidString over the three strings (8 bytes per step while they
// are ASCII) and a walk over the resource names.
func prepareRecord(ev *si.EventRecord) {
	if len(ev.Message) > MaxMessageLength || !utf8.ValidString(ev.Message) {
		ev.Message = prepareMessage(ev.Message)
	}
	if !utf8.ValidString(ev.ObjectID) {
		ev.ObjectID = toValidUTF8(ev.ObjectID, -1)
	}
	if !utf8.ValidString(ev.ReferenceID) {
		ev.ReferenceID = toValidUTF8(ev.ReferenceID, -1)
	}
	if ev.Resource != nil && len(ev.Resource.Resources) != 0 {
		for name := range ev.Resource.Resources {
			if !utf8.ValidString(name) {
				ev.Resource = repairedResource(ev.Resource)
				break
			}
		}
	}
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

// repairedResource returns a copy of r whose resource names are valid UTF-8.
func repairedResource(r *si.Resource) *si.Resource {
	m := make(map[string]*si.Quantity, len(r.Resources))
	for name, q := range r.Resources {
		m[toValidUTF8(name, -1)] = q
	}
	return &si.Resource{Resources: m}
}

// truncateMessage returns msg unchanged (and without allocating) when it is
// at most MaxMessageLength bytes long. Otherwise it returns a prefix of msg
// followed by "...", at most MaxMessageLength bytes in all. The cut is made on
// a rune boundary, so a message of valid UTF-8 stays valid UTF-8 and the
// record still passes protobuf's UTF-8 check when marshalled (the reference
// design cuts at a fixed byte offset, inside a multibyte character).
//
// prepareRecord repairs a message before it cuts it. Given invalid UTF-8,
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
