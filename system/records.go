package system

import (
	"reflect"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"google.golang.org/protobuf/encoding/protowire"
)

// Resource is anything that can describe itself as a scheduler-interface
// resource. The reference design's own resource type has this method, so it
// plugs into the record constructors unchanged.
type Resource interface {
	ToProto() *si.Resource
}

// StateFieldNumber is the protobuf field number under which the record
// constructors keep an event's state (see EventState).
//
// si.EventRecord has no state field, so the state travels as an unknown field
// of the record: field StateFieldNumber, wire type bytes (length-delimited),
// holding the state as a UTF-8 string, exactly as a declared
// `string state = 10000;` would be encoded. si.proto's EventRecord uses the
// numbers 1, 2 and 5 to 10 and reserves 3 and 4; 10000 is far above anything
// it uses or reserves and below protobuf's own reserved range 19000-19999.
// Because it is an unknown field, proto.Marshal writes it after the known
// fields, proto.Unmarshal keeps it, and every other field keeps its value and
// encoding. A reader that knows nothing about it (an older shim, a REST
// encoder) ignores it.
const StateFieldNumber protowire.Number = 10000

// The state argument of the record constructors
//
// The reference design's constructors have changed over time: its published
// API ends the list with `state string`, its current call sites pass no
// state. A trailing variadic state compiles with both forms. The first value
// is the state (kept as described at EventState; "" writes none); further
// values are ignored, as a constructor has nowhere to put them and no error
// to return.

// firstState returns the state argument of a constructor: its first value,
// or "" when there is none.
func firstState(state []string) string {
	if len(state) == 0 {
		return ""
	}
	return state[0]
}

// CreateRequestEventRecord builds the record of an event about an allocation
// request: type REQUEST, change NONE/DETAILS_NONE, stamped with the current
// time. A nil resource gives an empty resource. The state is optional: the
// first value is kept (see EventState), further values are ignored.
func CreateRequestEventRecord(objectID, referenceID, message string, resource Resource, state ...string) *si.EventRecord {
	return newRecord(si.EventRecord_REQUEST, objectID, message, referenceID,
		si.EventRecord_NONE, si.EventRecord_DETAILS_NONE, resource, firstState(state))
}

// CreateAppEventRecord builds the record of an event about an application,
// of type APP, stamped with the current time. A nil resource gives an empty
// resource. The state is optional: the first value is kept (see EventState),
// further values are ignored.
func CreateAppEventRecord(objectID, message, referenceID string, changeType si.EventRecord_ChangeType,
	changeDetail si.EventRecord_ChangeDetail, resource Resource, state ...string,
) *si.EventRecord {
	return newRecord(si.EventRecord_APP, objectID, message, referenceID, changeType, changeDetail, resource, firstState(state))
}

// CreateNodeEventRecord builds the record of an event about a node, of type
// NODE, stamped with the current time. A nil resource gives an empty
// resource. The state is optional: the first value is kept (see EventState),
// further values are ignored.
func CreateNodeEventRecord(objectID, message, referenceID string, changeType si.EventRecord_ChangeType,
	changeDetail si.EventRecord_ChangeDetail, resource Resource, state ...string,
) *si.EventRecord {
	return newRecord(si.EventRecord_NODE, objectID, message, referenceID, changeType, changeDetail, resource, firstState(state))
}

// CreateQueueEventRecord builds the record of an event about a queue, of
// type QUEUE, stamped with the current time. A nil resource gives an empty
// resource. The state is optional: the first value is kept (see EventState),
// further values are ignored.
func CreateQueueEventRecord(objectID, message, referenceID string, changeType si.EventRecord_ChangeType,
	changeDetail si.EventRecord_ChangeDetail, resource Resource, state ...string,
) *si.EventRecord {
	return newRecord(si.EventRecord_QUEUE, objectID, message, referenceID, changeType, changeDetail, resource, firstState(state))
}

// CreateUserGroupEventRecord builds the record of an event about a user or a
// group, of type USERGROUP, stamped with the current time. A nil resource
// gives an empty resource. It has no state, as in the reference design.
func CreateUserGroupEventRecord(objectID, message, referenceID string, changeType si.EventRecord_ChangeType,
	changeDetail si.EventRecord_ChangeDetail, resource Resource,
) *si.EventRecord {
	return newRecord(si.EventRecord_USERGROUP, objectID, message, referenceID, changeType, changeDetail, resource, "")
}

func newRecord(typ si.EventRecord_Type, objectID, message, referenceID string, changeType si.EventRecord_ChangeType,
	changeDetail si.EventRecord_ChangeDetail, resource Resource, state string,
) *si.EventRecord {
	ev := &si.EventRecord{
		Type:              typ,
		ObjectID:          objectID,
		Message:           message,
		TimestampNano:     time.Now().UnixNano(),
		EventChangeType:   changeType,
		EventChangeDetail: changeDetail,
		ReferenceID:       referenceID,
		Resource:          toProto(resource),
	}
	SetEventState(ev, state)
	return ev
}

// toProto converts r, treating a nil interface, a typed nil pointer inside
// the interface and a nil result all as "no resource": an empty resource.
func toProto(r Resource) *si.Resource {
	if r == nil {
		return &si.Resource{}
	}
	if v := reflect.ValueOf(r); isNilable(v.Kind()) && v.IsNil() {
		return &si.Resource{}
	}
	if p := r.ToProto(); p != nil {
		return p
	}
	return &si.Resource{}
}

func isNilable(k reflect.Kind) bool {
	switch k {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface, reflect.Func, reflect.Chan:
		return true
	}
	return false
}

// EventState returns the state that a record constructor (or SetEventState)
// put in ev, or "" when there is none or ev is nil. It reads the unknown field
// StateFieldNumber, so it also works on a record that went through
// proto.Marshal and proto.Unmarshal. When the field occurs more than once (as
// after proto.Merge), the last one wins, as for any protobuf scalar field.
func EventState(ev *si.EventRecord) string {
	if ev == nil {
		return ""
	}
	raw := ev.ProtoReflect().GetUnknown()
	state := ""
	for len(raw) > 0 {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			return state
		}
		raw = raw[n:]
		if num == StateFieldNumber && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(raw)
			if m < 0 {
				return state
			}
			state = string(v)
			raw = raw[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, raw)
		if m < 0 {
			return state
		}
		raw = raw[m:]
	}
	return state
}

// SetEventState sets the state that EventState reports for ev, replacing any
// earlier one and keeping every other field, known or unknown. An empty state
// removes it. A nil ev is ignored. Like any change to a record, it must happen
// before the record is handed to AddEvent.
func SetEventState(ev *si.EventRecord, state string) {
	if ev == nil {
		return
	}
	msg := ev.ProtoReflect()
	old := msg.GetUnknown()
	var kept []byte
	for raw := old; len(raw) > 0; {
		num, typ, n := protowire.ConsumeTag(raw)
		if n < 0 {
			// Not parseable: keep the rest untouched rather than lose it.
			kept = append(kept, raw...)
			break
		}
		v := protowire.ConsumeFieldValue(num, typ, raw[n:])
		if v < 0 {
			kept = append(kept, raw...)
			break
		}
		if num != StateFieldNumber {
			kept = append(kept, raw[:n+v]...)
		}
		raw = raw[n+v:]
	}
	if state != "" {
		kept = protowire.AppendTag(kept, StateFieldNumber, protowire.BytesType)
		kept = protowire.AppendString(kept, state)
	}
	if len(kept) == 0 && len(old) == 0 {
		return
	}
	msg.SetUnknown(kept)
}
