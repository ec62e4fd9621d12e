package httpapi

import (
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/lfevents/lfevents/system"
)

// The record encoder.
//
// Clients of the reference webservice parse records as encoding/json writes
// *si.EventRecord: the generated struct's json tags (lower camel case, every
// field omitempty), enums as numbers, the resource map with sorted keys, and
// encoding/json's string escaping (HTML-safe: <, > and & as \u003c, \u003e,
// \u0026; invalid UTF-8 as \ufffd; U+2028 and U+2029 escaped). appendRecord
// produces exactly those bytes, without reflection and without allocating, and
// then adds "state" (the record's state, see system.EventState) when there is
// one. TestAppendRecordMatchesEncodingJSON holds it to encoding/json's output.

// appendRecord appends the JSON object of ev to dst. A nil ev is "null", as
// encoding/json writes a nil pointer.
func appendRecord(dst []byte, ev *si.EventRecord) []byte {
	if ev == nil {
		return append(dst, "null"...)
	}
	dst = append(dst, '{')
	start := len(dst)
	if ev.Type != 0 {
		dst = append(dst, `"type":`...)
		dst = strconv.AppendInt(dst, int64(ev.Type), 10)
	}
	if ev.ObjectID != "" {
		dst = appendKey(dst, start, `"objectID":`)
		dst = appendString(dst, ev.ObjectID)
	}
	if ev.Message != "" {
		dst = appendKey(dst, start, `"message":`)
		dst = appendString(dst, ev.Message)
	}
	if ev.TimestampNano != 0 {
		dst = appendKey(dst, start, `"timestampNano":`)
		dst = strconv.AppendInt(dst, ev.TimestampNano, 10)
	}
	if ev.EventChangeType != 0 {
		dst = appendKey(dst, start, `"eventChangeType":`)
		dst = strconv.AppendInt(dst, int64(ev.EventChangeType), 10)
	}
	if ev.EventChangeDetail != 0 {
		dst = appendKey(dst, start, `"eventChangeDetail":`)
		dst = strconv.AppendInt(dst, int64(ev.EventChangeDetail), 10)
	}
	if ev.ReferenceID != "" {
		dst = appendKey(dst, start, `"referenceID":`)
		dst = appendString(dst, ev.ReferenceID)
	}
	if ev.Resource != nil {
		dst = appendKey(dst, start, `"resource":`)
		dst = appendResource(dst, ev.Resource)
	}
	if state, ok := recordState(ev); ok {
		dst = appendKey(dst, start, `"state":`)
		dst = appendStringBytes(dst, state)
	}
	return append(dst, '}')
}

// appendKey appends key, preceded by a comma unless it is the first member
// of the object whose members start at start.
func appendKey(dst []byte, start int, key string) []byte {
	if len(dst) > start {
		dst = append(dst, ',')
	}
	return append(dst, key...)
}

// maxSortedOnStack is how many resource names are sorted without allocating.
const maxSortedOnStack = 16

// appendResource appends r as encoding/json writes a *si.Resource: the map
// under "resources" (omitted when empty) with its keys in sorted order, each
// *si.Quantity as {"value":N} ({} for zero, null for nil).
func appendResource(dst []byte, r *si.Resource) []byte {
	if len(r.Resources) == 0 {
		return append(dst, "{}"...)
	}
	var onStack [maxSortedOnStack]string
	keys := onStack[:0]
	for k := range r.Resources {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	dst = append(dst, `{"resources":{`...)
	for i, k := range keys {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		q := r.Resources[k]
		switch {
		case q == nil:
			dst = append(dst, "null"...)
		case q.Value == 0:
			dst = append(dst, "{}"...)
		default:
			dst = append(dst, `{"value":`...)
			dst = strconv.AppendInt(dst, q.Value, 10)
			dst = append(dst, '}')
		}
	}
	return append(dst, "}}"...)
}

// recordState returns the bytes of the record's state without copying them,
// and whether it has one. It reads the same unknown field as
// system.EventState (the last occurrence wins) and agrees with it on every
// record (TestRecordStateMatchesEventState).
func recordState(ev *si.EventRecord) ([]byte, bool) {
	raw := ev.ProtoReflect().GetUnknown()
	var state []byte
	found := false
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			break
		}
		raw = raw[n:]
		if num == system.StateFieldNumber && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(raw)
			if m < 0 {
				break
			}
			state, found = v, true
			raw = raw[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, raw)
		if m < 0 {
			break
		}
		raw = raw[m:]
	}
	return state, found && len(state) > 0
}

// hexDigits are the digits of \u00XX escapes, lower case as encoding/json
// writes them.
const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaped as encoding/json escapes
// it with HTML escaping on (its default).
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s)
	return append(dst, '"')
}

// appendStringBytes is appendString for a byte slice.
func appendStringBytes(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, b)
	return append(dst, '"')
}

// appendEscaped appends the escaped contents of a JSON string: runs of safe
// bytes are copied at once.
func appendEscaped[T string | []byte](dst []byte, s T) []byte {
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if safeASCII[b] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				// Other control characters and the HTML-sensitive <, >, &.
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		var buf [utf8.UTFMax]byte
		r, size := utf8.DecodeRune(buf[:copy(buf[:], s[i:])])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// safeASCII[b] is true for the ASCII bytes that a JSON string carries as
// they are under HTML-safe escaping.
var safeASCII = func() (t [utf8.RuneSelf]bool) {
	for b := 0x20; b < utf8.RuneSelf; b++ {
		switch b {
		case '"', '\\', '<', '>', '&':
		default:
			t[b] = true
		}
	}
	return t
}()
