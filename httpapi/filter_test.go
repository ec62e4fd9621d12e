package httpapi

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCompiledFilterMatchesFilter: the compiled filter that streams use
// decides as Filter.Match does, for short and long lists, with duplicates.
func TestCompiledFilterMatchesFilter(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	list := func(n, domain int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = rnd.IntN(domain)
		}
		return out
	}
	for round := range 300 {
		var f Filter
		for _, v := range list(rnd.IntN(3)*rnd.IntN(8), 7) {
			f.Types = append(f.Types, si.EventRecord_Type(v))
		}
		for _, v := range list(rnd.IntN(3)*rnd.IntN(8), 5) {
			f.ChangeTypes = append(f.ChangeTypes, si.EventRecord_ChangeType(v))
		}
		for _, v := range list(rnd.IntN(3)*rnd.IntN(20), 30) {
			f.ObjectIDs = append(f.ObjectIDs, fmt.Sprint("obj-", v))
		}
		c := f.compile()
		assert.Equal(t, f.IsZero(), c == nil)
		assert.True(t, c.match(nil) == f.Match(nil))
		for range 50 {
			ev := &si.EventRecord{
				Type:            si.EventRecord_Type(rnd.IntN(7)),
				EventChangeType: si.EventRecord_ChangeType(rnd.IntN(5)),
				ObjectID:        fmt.Sprint("obj-", rnd.IntN(30)),
			}
			require.Equal(t, f.Match(ev), c.match(ev), "round %d: filter %+v, record %v", round, f, ev)
		}
	}
}

// TestLongFilterListsAreSets: a stream's filter runs for every event in the
// event system's dispatch goroutine, which every stream shares. Lists as
// long as a URL can hold are looked up in a set, so a client cannot make
// each event cost a scan of tens of thousands of values (before, it could,
// and slowed delivery to every other client); duplicates are dropped.
func TestLongFilterListsAreSets(t *testing.T) {
	q := url.Values{}
	for i := range 50000 {
		q.Add("objectID", fmt.Sprint("app-", i))
	}
	q.Add("type", strings.Repeat("APP,", 20000)+"NODE")
	q.Add("changeType", "1,2,3,4,5,6,7,8,9,10,11,12")
	f, err := ParseFilter(q)
	require.NoError(t, err)
	c := f.compile()
	require.NotNil(t, c)
	assert.Len(t, c.objects.set, 50000)
	assert.Nil(t, c.objects.list)
	assert.Equal(t, []si.EventRecord_Type{si.EventRecord_APP, si.EventRecord_NODE}, c.types.list, "duplicates dropped")
	assert.Len(t, c.changes.set, 12)
	assert.True(t, c.match(&si.EventRecord{Type: si.EventRecord_NODE, EventChangeType: 3, ObjectID: "app-49999"}))
	assert.False(t, c.match(&si.EventRecord{Type: si.EventRecord_NODE, EventChangeType: 3, ObjectID: "app-50000"}))
	assert.False(t, c.match(&si.EventRecord{Type: si.EventRecord_QUEUE, EventChangeType: 3, ObjectID: "app-1"}))
}
