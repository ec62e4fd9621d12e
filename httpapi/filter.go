package httpapi

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
)

// Filter selects the events a stream carries. A record matches when each
// non-empty list contains its value: values within one list are
// alternatives, the lists must all match. The zero Filter matches
// everything.
type Filter struct {
	// Types are the accepted record types.
	Types []si.EventRecord_Type
	// ObjectIDs are the accepted object IDs (exact match).
	ObjectIDs []string
	// ChangeTypes are the accepted change types.
	ChangeTypes []si.EventRecord_ChangeType
}

// IsZero reports whether f matches every record.
func (f *Filter) IsZero() bool {
	return f == nil || len(f.Types) == 0 && len(f.ObjectIDs) == 0 && len(f.ChangeTypes) == 0
}

// Match reports whether ev passes f. A nil record never matches a
// non-zero filter.
func (f *Filter) Match(ev *si.EventRecord) bool {
	if f.IsZero() {
		return true
	}
	if ev == nil {
		return false
	}
	if len(f.Types) > 0 && !slices.Contains(f.Types, ev.Type) {
		return false
	}
	if len(f.ChangeTypes) > 0 && !slices.Contains(f.ChangeTypes, ev.EventChangeType) {
		return false
	}
	if len(f.ObjectIDs) > 0 && !slices.Contains(f.ObjectIDs, ev.ObjectID) {
		return false
	}
	return true
}

// ParseFilter reads the query parameters type, objectID and changeType, each
// repeatable. Type and changeType also accept comma-separated values; an
// objectID value is taken whole, since object IDs may contain commas. Types
// and change types are given by name (APP, add; any case) or by number.
func ParseFilter(q url.Values) (Filter, error) {
	var f Filter
	for _, v := range splitValues(q["type"]) {
		t, err := parseEnum(v, si.EventRecord_Type_value, "type")
		if err != nil {
			return Filter{}, err
		}
		f.Types = append(f.Types, si.EventRecord_Type(t))
	}
	for _, v := range splitValues(q["changeType"]) {
		t, err := parseEnum(v, si.EventRecord_ChangeType_value, "changeType")
		if err != nil {
			return Filter{}, err
		}
		f.ChangeTypes = append(f.ChangeTypes, si.EventRecord_ChangeType(t))
	}
	// Object IDs are taken whole: they may contain commas.
	for _, v := range q["objectID"] {
		if v != "" {
			f.ObjectIDs = append(f.ObjectIDs, v)
		}
	}
	return f, nil
}

// maxListed is the most distinct values of one filter list that
// compiledFilter looks up in a slice; longer lists go into a set.
const maxListed = 8

// compiledFilter is a Filter made ready for the path it runs on: with an
// event system's streams with IDs it runs in the event system's dispatch
// goroutine, shared by every stream, once per event for each filtered
// stream. Its cost per event must not grow with the length of the lists a
// client put in its URL: a URL of a megabyte holds some 90000 object IDs,
// and a scan of them per event slowed delivery to every client until the
// ring overran the dispatcher and every stream was cut off. Duplicate values
// are dropped, and a long list is looked up in a set.
type compiledFilter struct {
	types   valueSet[si.EventRecord_Type]
	changes valueSet[si.EventRecord_ChangeType]
	objects valueSet[string]
}

// compile returns f compiled, or nil when f matches everything.
func (f *Filter) compile() *compiledFilter {
	if f.IsZero() {
		return nil
	}
	return &compiledFilter{
		types:   newValueSet(f.Types),
		changes: newValueSet(f.ChangeTypes),
		objects: newValueSet(f.ObjectIDs),
	}
}

// match is Filter.Match; safe for concurrent use. A nil c matches every
// record.
func (c *compiledFilter) match(ev *si.EventRecord) bool {
	if c == nil {
		return true
	}
	if ev == nil {
		return false
	}
	return c.types.admits(ev.Type) && c.changes.admits(ev.EventChangeType) && c.objects.admits(ev.ObjectID)
}

// valueSet holds the distinct values of one filter list: in a slice when
// there are few, in a set otherwise. The zero valueSet admits every value.
type valueSet[T comparable] struct {
	list []T
	set  map[T]struct{}
}

func newValueSet[T comparable](values []T) valueSet[T] {
	if len(values) == 0 {
		return valueSet[T]{}
	}
	set := make(map[T]struct{}, len(values))
	var list []T
	for _, v := range values {
		if _, dup := set[v]; !dup {
			set[v] = struct{}{}
			list = append(list, v)
		}
	}
	if len(list) > maxListed {
		return valueSet[T]{set: set}
	}
	return valueSet[T]{list: list}
}

// admits reports whether v is in the set, or the set is the zero one.
func (s *valueSet[T]) admits(v T) bool {
	if s.set != nil {
		_, ok := s.set[v]
		return ok
	}
	return len(s.list) == 0 || slices.Contains(s.list, v)
}

func splitValues(values []string) []string {
	var out []string
	for _, v := range values {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

// parseEnum reads an enum value by its protobuf name (any case) or number.
func parseEnum(v string, names map[string]int32, param string) (int32, error) {
	if n, ok := names[strings.ToUpper(v)]; ok {
		return n, nil
	}
	if n, err := strconv.ParseInt(v, 10, 32); err == nil && n >= 0 {
		return int32(n), nil
	}
	known := make([]string, 0, len(names))
	for k := range names {
		known = append(known, k)
	}
	slices.Sort(known)
	return 0, fmt.Errorf("invalid %s %q: use a number or one of %s", param, v, strings.Join(known, ", "))
}
