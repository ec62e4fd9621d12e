package system

import (
	"testing"
	"time"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// testResource stands in for the reference design's resource type: a map
// with a pointer-receiver ToProto.
type testResource struct{ quantities map[string]int64 }

func (r *testResource) ToProto() *si.Resource {
	out := &si.Resource{Resources: make(map[string]*si.Quantity, len(r.quantities))}
	for k, v := range r.quantities {
		out.Resources[k] = &si.Quantity{Value: v}
	}
	return out
}

// nilProtoResource returns nil from ToProto.
type nilProtoResource struct{}

func (nilProtoResource) ToProto() *si.Resource { return nil }

func TestCreateRecords(t *testing.T) {
	res := &testResource{quantities: map[string]int64{"memory": 128, "vcore": 2}}
	// The app, node and queue constructors take these arguments; the request
	// and user group ones are adapted to them.
	type constructor func(objectID, message, referenceID string, change si.EventRecord_ChangeType,
		detail si.EventRecord_ChangeDetail, res Resource, state ...string) *si.EventRecord
	request := func(objectID, message, referenceID string, _ si.EventRecord_ChangeType,
		_ si.EventRecord_ChangeDetail, res Resource, state ...string,
	) *si.EventRecord {
		return CreateRequestEventRecord(objectID, referenceID, message, res, state...)
	}
	userGroup := func(objectID, message, referenceID string, change si.EventRecord_ChangeType,
		detail si.EventRecord_ChangeDetail, res Resource, _ ...string,
	) *si.EventRecord {
		return CreateUserGroupEventRecord(objectID, message, referenceID, change, detail, res)
	}
	// change, detail and state are passed to the constructor (the request
	// constructor takes only the state) and expected in the record.
	tests := []struct {
		name   string
		create constructor
		typ    si.EventRecord_Type
		change si.EventRecord_ChangeType
		detail si.EventRecord_ChangeDetail
		state  string
	}{
		{"request", request, si.EventRecord_REQUEST, si.EventRecord_NONE, si.EventRecord_DETAILS_NONE, "Pending"},
		{"app", CreateAppEventRecord, si.EventRecord_APP, si.EventRecord_ADD, si.EventRecord_APP_NEW, "New"},
		{"node", CreateNodeEventRecord, si.EventRecord_NODE, si.EventRecord_SET, si.EventRecord_NODE_CAPACITY, ""},
		{"queue", CreateQueueEventRecord, si.EventRecord_QUEUE, si.EventRecord_REMOVE, si.EventRecord_QUEUE_CONFIG, "Draining"},
		{"user group", userGroup, si.EventRecord_USERGROUP, si.EventRecord_SET, si.EventRecord_UG_USER_LIMIT, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := time.Now().UnixNano()
			ev := tc.create("obj", "msg", "ref", tc.change, tc.detail, res, tc.state)
			after := time.Now().UnixNano()
			require.NotNil(t, ev)
			assert.Equal(t, tc.typ, ev.GetType())
			assert.Equal(t, "obj", ev.GetObjectID())
			assert.Equal(t, "ref", ev.GetReferenceID())
			assert.Equal(t, "msg", ev.GetMessage())
			assert.Equal(t, tc.change, ev.GetEventChangeType())
			assert.Equal(t, tc.detail, ev.GetEventChangeDetail())
			assert.GreaterOrEqual(t, ev.GetTimestampNano(), before)
			assert.LessOrEqual(t, ev.GetTimestampNano(), after)
			assert.True(t, proto.Equal(res.ToProto(), ev.GetResource()), "resource")
			assert.Equal(t, tc.state, EventState(ev))
		})
	}
}

func TestCreateRecordNilResource(t *testing.T) {
	var typedNil *testResource
	tests := []struct {
		name string
		res  Resource
	}{
		{"nil interface", nil},
		{"typed nil pointer", typedNil},
		{"ToProto returns nil", nilProtoResource{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, ev := range []*si.EventRecord{
				CreateRequestEventRecord("o", "r", "m", tc.res, "s"),
				CreateAppEventRecord("o", "m", "r", si.EventRecord_ADD, si.EventRecord_APP_NEW, tc.res, "s"),
				CreateNodeEventRecord("o", "m", "r", si.EventRecord_ADD, si.EventRecord_NODE_ALLOC, tc.res, "s"),
				CreateQueueEventRecord("o", "m", "r", si.EventRecord_ADD, si.EventRecord_QUEUE_APP, tc.res, "s"),
				CreateUserGroupEventRecord("o", "m", "r", si.EventRecord_ADD, si.EventRecord_UG_APP_LINK, tc.res),
			} {
				require.NotNil(t, ev.GetResource(), ev.GetType().String())
				assert.Empty(t, ev.GetResource().GetResources(), ev.GetType().String())
			}
		})
	}
}

// TestStateFieldNumberUnused checks against the compiled si descriptor that
// EventRecord neither uses nor reserves StateFieldNumber.
func TestStateFieldNumberUnused(t *testing.T) {
	desc := (&si.EventRecord{}).ProtoReflect().Descriptor()
	require.True(t, StateFieldNumber.IsValid())
	assert.Nil(t, desc.Fields().ByNumber(StateFieldNumber), "field number in use")
	assert.False(t, desc.ReservedRanges().Has(StateFieldNumber), "field number reserved")
	assert.False(t, desc.ExtensionRanges().Has(StateFieldNumber), "field number is an extension range")
	assert.False(t, StateFieldNumber >= protowire.FirstReservedNumber && StateFieldNumber <= protowire.LastReservedNumber)
}

func TestEventStateRoundTrip(t *testing.T) {
	res := &testResource{quantities: map[string]int64{"memory": 1 << 40}}
	states := []string{"Running", "", "ünïcödé ☃ state", string(make([]byte, 300))}
	for _, state := range states {
		ev := CreateAppEventRecord("app-1", "message", "alloc-1", si.EventRecord_SET, si.EventRecord_APP_RUNNING, res, state)
		plain := proto.Clone(ev).(*si.EventRecord)
		SetEventState(plain, "")

		wire, err := proto.MarshalOptions{Deterministic: true}.Marshal(ev)
		require.NoError(t, err)
		plainWire, err := proto.MarshalOptions{Deterministic: true}.Marshal(plain)
		require.NoError(t, err)
		// The state is appended after the known fields, which encode as if
		// there were no state at all.
		assert.Equal(t, plainWire, wire[:len(plainWire)], "known fields disturbed")

		back := &si.EventRecord{}
		require.NoError(t, proto.Unmarshal(wire, back))
		assert.Equal(t, state, EventState(back))
		assert.True(t, proto.Equal(ev, back))
		assert.Equal(t, ev.GetType(), back.GetType())
		assert.Equal(t, ev.GetObjectID(), back.GetObjectID())
		assert.Equal(t, ev.GetReferenceID(), back.GetReferenceID())
		assert.Equal(t, ev.GetMessage(), back.GetMessage())
		assert.Equal(t, ev.GetTimestampNano(), back.GetTimestampNano())
		assert.Equal(t, ev.GetEventChangeType(), back.GetEventChangeType())
		assert.Equal(t, ev.GetEventChangeDetail(), back.GetEventChangeDetail())
		assert.True(t, proto.Equal(ev.GetResource(), back.GetResource()))

		// Marshal once more from the decoded copy: same bytes.
		again, err := proto.MarshalOptions{Deterministic: true}.Marshal(back)
		require.NoError(t, err)
		assert.Equal(t, wire, again)
	}
}

func TestSetEventState(t *testing.T) {
	ev := &si.EventRecord{ObjectID: "x"}
	// Another unknown field that must survive every change of state.
	other := protowire.AppendTag(nil, 777, protowire.VarintType)
	other = protowire.AppendVarint(other, 42)
	ev.ProtoReflect().SetUnknown(other)

	steps := []struct{ set, want string }{
		{"A", "A"},
		{"B", "B"},
		{"", ""},
		{"C", "C"},
	}
	for _, s := range steps {
		SetEventState(ev, s.set)
		assert.Equal(t, s.want, EventState(ev))
		raw := ev.ProtoReflect().GetUnknown()
		require.GreaterOrEqual(t, len(raw), len(other))
		assert.Equal(t, []byte(other), []byte(raw[:len(other)]), "other unknown field lost after %q", s.set)
	}
	assert.Equal(t, "x", ev.GetObjectID())

	// proto.Merge appends a second occurrence: the last one wins.
	src := &si.EventRecord{}
	SetEventState(src, "D")
	proto.Merge(ev, src)
	assert.Equal(t, "D", EventState(ev))
	SetEventState(ev, "E")
	assert.Equal(t, "E", EventState(ev))
}

func TestEventStateOddInput(t *testing.T) {
	assert.Empty(t, EventState(nil))
	assert.NotPanics(t, func() { SetEventState(nil, "x") })
	assert.Empty(t, EventState(&si.EventRecord{}))

	// An empty state on a record without unknown fields leaves it as is.
	ev := &si.EventRecord{}
	SetEventState(ev, "")
	assert.Nil(t, ev.ProtoReflect().GetUnknown())

	// Unparsable unknown bytes: no panic, and they are kept.
	garbage := []byte{0xff, 0xff, 0xff}
	ev.ProtoReflect().SetUnknown(garbage)
	assert.NotPanics(t, func() { _ = EventState(ev) })
	assert.NotPanics(t, func() { SetEventState(ev, "s") })
	assert.Equal(t, garbage, []byte(ev.ProtoReflect().GetUnknown()[:len(garbage)]))

	// A truncated state field.
	trunc := protowire.AppendTag(nil, StateFieldNumber, protowire.BytesType)
	trunc = append(trunc, 10, 'a')
	ev2 := &si.EventRecord{}
	ev2.ProtoReflect().SetUnknown(trunc)
	assert.Empty(t, EventState(ev2))
}

func TestStateOfWrongWireTypeIgnored(t *testing.T) {
	raw := protowire.AppendTag(nil, StateFieldNumber, protowire.VarintType)
	raw = protowire.AppendVarint(raw, 5)
	ev := &si.EventRecord{}
	ev.ProtoReflect().SetUnknown(raw)
	assert.Empty(t, EventState(ev))
	SetEventState(ev, "ok")
	assert.Equal(t, "ok", EventState(ev))
}
