package repocheck

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// installLine is how the README tells a new user to add the module.
const installLine = "go get " + modulePath + "@latest"

func readme(t *testing.T) (root, text string) {
	t.Helper()
	root = repoRoot(t)
	data, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	return root, string(data)
}

// section returns the README section under the "## title" heading, up to the
// next second-level heading.
func section(text, title string) (string, bool) {
	_, rest, ok := strings.Cut(text, "\n## "+title+"\n")
	if !ok {
		return "", false
	}
	if end := strings.Index(rest, "\n## "); end >= 0 {
		rest = rest[:end]
	}
	return rest, true
}

// fencedBlock returns the body of the first ``` block of the given language.
func fencedBlock(text, lang string) (string, bool) {
	_, rest, ok := strings.Cut(text, "```"+lang+"\n")
	if !ok {
		return "", false
	}
	body, _, ok := strings.Cut(rest, "\n```")
	return body + "\n", ok
}

func TestSectionAndBlock(t *testing.T) {
	text := "# t\n\n## A\none\n```go\npackage a\n```\n## B\n```go\npackage b\n```\n"
	a, ok := section(text, "A")
	require.True(t, ok)
	body, ok := fencedBlock(a, "go")
	require.True(t, ok)
	assert.Equal(t, "package a\n", body)
	b, ok := section(text, "B")
	require.True(t, ok)
	body, ok = fencedBlock(b, "go")
	require.True(t, ok)
	assert.Equal(t, "package b\n", body)
	_, ok = section(text, "C")
	assert.False(t, ok)
	_, ok = fencedBlock("## A\nno code\n", "go")
	assert.False(t, ok)
}

// TestReadmeQuickStart builds the README's Quick start exactly as printed in
// a fresh module that requires this one (as the install line would, with a
// replace directive pointing at this checkout instead of the proxy), then runs
// it. Dependencies come from the module cache (or the Go proxy when missing).
func TestReadmeQuickStart(t *testing.T) {
	root, text := readme(t)
	install, ok := section(text, "Install")
	require.True(t, ok, "README has no \"## Install\" section")
	assert.Contains(t, install, installLine)

	quick, ok := section(text, "Quick start")
	require.True(t, ok, "README has no \"## Quick start\" section")
	program, ok := fencedBlock(quick, "go")
	require.True(t, ok, "the Quick start section has no ```go block")
	require.Contains(t, program, "package main")

	gocmd := goTool(t)
	dir := t.TempDir()
	gomod := "module example.com/quickstart\n\ngo 1.24.0\n\n" +
		"require " + modulePath + " v0.0.0\n\n" +
		"replace " + modulePath + " => " + root + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o644))
	// The module's own checksums cover every dependency the program can reach,
	// so nothing needs the checksum database.
	sums, err := os.ReadFile(filepath.Join(root, "go.sum"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sums, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(program), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env := append(os.Environ(), "GOWORK=off", "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -mod=mod"))
	bin := filepath.Join(dir, "quickstart")
	build := exec.CommandContext(ctx, gocmd, "build", "-o", bin, ".")
	build.Dir, build.Env = dir, env
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build of the README's Quick start:\n%s\nprogram:\n%s", out, program)

	runCtx, cancelRun := context.WithTimeout(ctx, time.Minute)
	defer cancelRun()
	run := exec.CommandContext(runCtx, bin)
	run.Dir = dir
	var stderr strings.Builder
	run.Stderr = &stderr
	out, err = run.Output()
	require.NoError(t, err, "running the README's Quick start:\n%s%s", out, stderr.String())

	// The sentence after the program says what it prints: check that it does.
	said := quickStartPrints.FindStringSubmatch(quick)
	require.NotNil(t, said, "the Quick start section no longer says \"It prints `...` ... and then `...`\"")
	assert.Equal(t, said[1]+"\n"+said[2]+"\n", string(out), "what the Quick start prints on standard output")
}

// quickStartPrints is the README's sentence that tells what the Quick start
// program prints: its two lines of standard output.
var quickStartPrints = regexp.MustCompile("It prints `([^`]+)`[^`]*and then `([^`]+)`")

// exampleRef is a line of the README's examples section: a package directory
// in backquotes followed by the example functions it holds.
var (
	examplePkg  = regexp.MustCompile("^- `([a-z0-9/]+)/`")
	exampleName = regexp.MustCompile("`(Example[A-Za-z0-9_]*)`")
)

// TestReadmeExamples checks that every example function the README names
// exists in the package it names, so the pointer to runnable examples stays
// true when examples are renamed or moved.
func TestReadmeExamples(t *testing.T) {
	root, text := readme(t)
	sec, ok := section(text, "Runnable examples")
	require.True(t, ok, "README has no \"## Runnable examples\" section")
	named := 0
	for _, line := range strings.Split(sec, "\n") {
		m := examplePkg.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		have := exampleFuncs(t, filepath.Join(root, m[1]))
		for _, n := range exampleName.FindAllStringSubmatch(line, -1) {
			named++
			assert.True(t, have[n[1]], "README names %s in %s/, which has no such example (it has %v)", n[1], m[1], keys(have))
		}
	}
	assert.NotZero(t, named, "the examples section names no example functions")
}

// exampleFuncs returns the names of the Example functions in dir's test files.
func exampleFuncs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	require.NoError(t, err)
	have := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		parsed, err := parser.ParseFile(fset, f, nil, parser.SkipObjectResolution)
		require.NoError(t, err)
		for _, d := range parsed.Decls {
			if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv == nil && strings.HasPrefix(fn.Name.Name, "Example") {
				have[fn.Name.Name] = true
			}
		}
	}
	return have
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// mdLink matches the target of a Markdown link: [text](target).
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestReadmeLinks checks that every relative link of the README points at a
// file or directory of the repository.
func TestReadmeLinks(t *testing.T) {
	root, text := readme(t)
	links := 0
	for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
		target := m[1]
		if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
			continue
		}
		target, _, _ = strings.Cut(target, "#")
		links++
		_, err := os.Stat(filepath.Join(root, filepath.FromSlash(target)))
		assert.NoError(t, err, "README links to %s", m[1])
	}
	assert.NotZero(t, links, "the README links to its docs")
}
