package systemrun

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/lfevents/lfevents/system"
)

// checkCut checks the message of an accepted record whose message was orig:
// kept within the limit; over it, cut to at most the limit, ending in "...",
// valid UTF-8, a prefix of orig cut by at most one character, and the
// record still marshals.
func checkCut(t testing.TB, orig string, ev *si.EventRecord) {
	if len(orig) <= system.MaxMessageLength {
		if orig != ev.Message {
			require.Equal(t, orig, ev.Message, "a message within the limit is kept")
		}
		return
	}
	msg := ev.Message
	require.LessOrEqual(t, len(msg), system.MaxMessageLength, "cut message too long")
	require.True(t, strings.HasSuffix(msg, "..."), "cut message does not end in ...")
	require.True(t, utf8.ValidString(msg), "cut message is not valid UTF-8")
	kept := strings.TrimSuffix(msg, "...")
	require.True(t, strings.HasPrefix(orig, kept), "cut message is not a prefix")
	require.Greater(t, len(kept), system.MaxMessageLength-3-utf8.UTFMax, "cut more than one character")
	_, err := proto.Marshal(ev)
	require.NoError(t, err, "a record with a cut message must marshal")
}
