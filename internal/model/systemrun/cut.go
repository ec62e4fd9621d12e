package systemrun

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/apache/yunikorn-scheduler-interface/lib/go/si"
	"google.golang.org/protobuf/proto"

	"github.com/lfevents/lfevents/system"
)

// checkCut checks the message of an accepted record whose message was orig:
// kept within the limit; over it, cut to at most the limit, ending in "...",
// valid UTF-8, a prefix of orig cut by at most one character, and the
// record still marshals.
func checkCut(orig string, ev *si.EventRecord) error {
	msg := ev.Message
	if len(orig) <= system.MaxMessageLength {
		if orig != msg {
			return fmt.Errorf("a message within the limit is not kept: got %q, want %q", msg, orig)
		}
		return nil
	}
	kept, dots := strings.CutSuffix(msg, "...")
	switch {
	case len(msg) > system.MaxMessageLength:
		return fmt.Errorf("cut message too long: %d bytes", len(msg))
	case !dots:
		return fmt.Errorf("cut message does not end in ...: %q", msg)
	case !utf8.ValidString(msg):
		return fmt.Errorf("cut message is not valid UTF-8: %q", msg)
	case !strings.HasPrefix(orig, kept):
		return fmt.Errorf("cut message is not a prefix: %q", msg)
	case len(kept) <= system.MaxMessageLength-3-utf8.UTFMax:
		return fmt.Errorf("cut more than one character: kept %d bytes of %d", len(kept), len(orig))
	}
	if _, err := proto.Marshal(ev); err != nil {
		return fmt.Errorf("a record with a cut message must marshal: %w", err)
	}
	return nil
}
