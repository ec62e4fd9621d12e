package atomicx

import (
	"go/build"
	"slices"
	"testing"
)

// TestBuildFiles: the assembly is Go's own assembler syntax, which only the
// gc toolchain assembles; gccgo (and other toolchains without the gc tag)
// would be handed release_<arch>.s and a body-less StoreRelease. Every build
// that is not gc on amd64 or arm64 without race and purego must take the
// sync/atomic fallback, and exactly those builds the assembly.
func TestBuildFiles(t *testing.T) {
	cases := []struct {
		compiler, goarch string
		tags             []string
		asm              bool
	}{
		{"gc", "amd64", nil, true},
		{"gc", "arm64", nil, true},
		{"gc", "amd64", []string{"race"}, false},
		{"gc", "arm64", []string{"race"}, false},
		{"gc", "amd64", []string{"purego"}, false},
		{"gc", "386", nil, false},
		{"gc", "riscv64", nil, false},
		{"gccgo", "amd64", nil, false},
		{"gccgo", "arm64", nil, false},
	}
	for _, tc := range cases {
		ctxt := build.Default
		ctxt.GOOS, ctxt.GOARCH, ctxt.Compiler = "linux", tc.goarch, tc.compiler
		ctxt.BuildTags, ctxt.ToolTags = tc.tags, nil
		pkg, err := ctxt.ImportDir(".", 0)
		if err != nil {
			t.Fatalf("%s/%s %v: %v", tc.compiler, tc.goarch, tc.tags, err)
		}
		asm := slices.Contains(pkg.GoFiles, "release_asm.go")
		other := slices.Contains(pkg.GoFiles, "release_other.go")
		if asm == other || asm != tc.asm || (len(pkg.SFiles) > 0) != tc.asm {
			t.Errorf("%s/%s %v: Go files %v, assembly %v; want the assembly: %v",
				tc.compiler, tc.goarch, tc.tags, pkg.GoFiles, pkg.SFiles, tc.asm)
		}
	}
}
