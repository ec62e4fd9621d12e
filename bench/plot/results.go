package main

import (
	"bufio"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// results holds benchmark samples by name and unit. A name is the
// benchmark's name without "Benchmark" and without the GOMAXPROCS suffix,
// e.g. "Ingest/producers=2/impl=mutex"; units are as the benchmark printed
// them ("ns/op", "p99-ns").
type results map[string]map[string][]float64

// procSuffix is the "-N" that go test appends for GOMAXPROCS.
var procSuffix = regexp.MustCompile(`-\d+$`)

// parse adds the samples of every benchmark result line in r: a line
// "BenchmarkName-2  N  value unit  value unit ...".
func (rs results) parse(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseUint(f[1], 10, 64); err != nil {
			continue
		}
		name := procSuffix.ReplaceAllString(strings.TrimPrefix(f[0], "Benchmark"), "")
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			if rs[name] == nil {
				rs[name] = map[string][]float64{}
			}
			rs[name][f[i+1]] = append(rs[name][f[i+1]], v)
		}
	}
	return sc.Err()
}

// parseFiles reads every file; a missing file is skipped.
func parseFiles(paths []string) (results, error) {
	rs := results{}
	for _, p := range paths {
		f, err := os.Open(p)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		err = rs.parse(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// median returns the median sample of name in unit, and whether there is one.
func (rs results) median(name, unit string) (float64, bool) {
	s := slices.Clone(rs[name][unit])
	if len(s) == 0 {
		return 0, false
	}
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], true
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, true
}

// runs returns how many samples name has in unit.
func (rs results) runs(name, unit string) int { return len(rs[name][unit]) }
