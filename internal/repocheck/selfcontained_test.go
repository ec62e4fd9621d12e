package repocheck

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// outsideRefs match citations of documents that live beside the repository
// rather than in it: the team's specification, which the project's own docs
// restate (matched as the upper-case word, built from two halves so this
// file does not match itself), and paths into the machine the project was
// written on. The repository must read completely without them. Every pattern
// and test line is split in two for the same reason.
var outsideRefs = []struct {
	what string
	re   *regexp.Regexp
}{
	{"an outside specification", regexp.MustCompile(`\b` + "SP" + "EC" + `\b`)},
	{"a path outside the repository", regexp.MustCompile(`(^|[\s(\x60"'=:])(/` + `work/|\.\./` + `shared/)`)},
}

// TestSelfContained fails if any file tracked by git cites a document outside
// the repository, and lists every such line.
func TestSelfContained(t *testing.T) {
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, ".git")); err != nil {
		t.Skipf("%s is not a git checkout: %v", root, err)
	}
	cmd := exec.Command("git", "-C", root, "ls-files", "-z")
	out, err := cmd.Output()
	require.NoError(t, err, "git ls-files")
	files := strings.Split(strings.TrimRight(string(out), "\x00"), "\x00")
	require.NotEmpty(t, files)

	var found []string
	for _, name := range files {
		data, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree, not yet committed
		}
		require.NoError(t, err)
		found = append(found, outsideCitations(name, data)...)
	}
	if len(found) > 0 {
		t.Errorf("%d lines cite documents outside the repository; state the contract in the project's own docs instead:\n%s",
			len(found), strings.Join(found, "\n"))
	}
}

// outsideCitations returns "file:line: what: text" for each line of data that
// cites an outside document. Binary files (a NUL byte early on) are skipped.
func outsideCitations(name string, data []byte) []string {
	if bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0 {
		return nil
	}
	var found []string
	for i, line := range strings.Split(string(data), "\n") {
		for _, r := range outsideRefs {
			if r.re.MatchString(line) {
				text := strings.TrimSpace(line)
				if len(text) > 120 {
					text = text[:120] + "..."
				}
				found = append(found, fmt.Sprintf("%s:%d: %s: %s", name, i+1, r.what, text))
				break
			}
		}
	}
	return found
}

// TestOutsideCitations checks the matcher itself on lines that must and must
// not be reported.
func TestOutsideCitations(t *testing.T) {
	word := "SP" + "EC"
	tests := []struct {
		line string
		want bool
	}{
		{"see " + word + " section 6", true},
		{"(the " + word + "'s 1M)", true},
		{"// " + word + " 4.1", true},
		{"reported in /" + "work/notes/BUGS.md", true},
		{"listed in `../" + "shared/seed/events-api.txt`", true},
		{"a " + word + "IAL case, " + strings.ToLower(word) + "ified", false},
		{"the spec of the reference, Spec section", false},
		{"go run ./cmd/work/x", false},
		{"docs/architecture.md", false},
	}
	for _, tt := range tests {
		got := outsideCitations("f", []byte("first line\n"+tt.line+"\n"))
		if tt.want {
			assert.Equal(t, []string{"f:2: " + strings.SplitN(got[0], ": ", 3)[1] + ": " + tt.line}, got, "line %q", tt.line)
		} else {
			assert.Empty(t, got, "line %q", tt.line)
		}
	}
	assert.Empty(t, outsideCitations("bin", []byte("\x00"+word)), "binary files are skipped")
}
