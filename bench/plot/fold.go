package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// fold copies benchstat's text output from r to w, replacing each table
// whose values are all zero (typically B/op and allocs/op of code that does
// not allocate) by one line that says so. Tables are separated by blank
// lines; a table's header lines contain "│"; the lines before the header
// (titles, "pkg:") are kept.
func fold(r io.Reader, w io.Writer) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	var block []string
	flush := func() {
		for _, l := range foldBlock(block) {
			fmt.Fprintln(w, l)
		}
		block = block[:0]
	}
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			flush()
			fmt.Fprintln(w)
			continue
		}
		block = append(block, line)
	}
	flush()
	return sc.Err()
}

// foldBlock returns block unchanged, or with its table replaced by one line
// when every value in it is zero.
func foldBlock(block []string) []string {
	head := -1
	for i, l := range block {
		if strings.Contains(l, "│") {
			head = i
			break
		}
	}
	if head < 0 {
		return block
	}
	var unit string
	rows, zero := 0, true
	for _, l := range block[head:] {
		switch {
		case strings.Contains(l, "│"):
			if u := tableUnit(l); u != "" {
				unit = u // the last header line names the units
			}
		case strings.HasPrefix(l, "geomean"), isFootnote(l):
		default:
			rows++
			for _, v := range rowValues(l) {
				if v != 0 {
					zero = false
				}
			}
		}
	}
	if rows == 0 || !zero {
		return block
	}
	out := append([]string(nil), block[:head]...)
	return append(out, fmt.Sprintf("%s: 0 in all %d rows (table folded)", unit, rows))
}

// tableUnit returns the first field of a header line after its name
// column, e.g. "allocs/op" of "│  allocs/op   │ allocs/op   vs base │"; for
// the first header line that is the first implementation's name.
func tableUnit(header string) string {
	f := strings.Fields(strings.ReplaceAll(header, "│", " "))
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func isFootnote(l string) bool {
	r := []rune(strings.TrimSpace(l))
	return len(r) > 0 && strings.ContainsRune("¹²³⁴⁵⁶⁷⁸⁹", r[0])
}

// rowValues returns the measured values in a table row: every token that
// stands right before "±", with benchstat's SI suffix (n, µ, Ki, ...) ignored
// (only zero or not matters here).
func rowValues(row string) []float64 {
	f := strings.Fields(row)
	var vs []float64
	for i := 1; i+1 < len(f); i++ {
		if f[i+1] != "±" {
			continue
		}
		num := strings.TrimRightFunc(f[i], func(r rune) bool { return unicode.IsLetter(r) || r == 'µ' })
		if v, err := strconv.ParseFloat(num, 64); err == nil {
			vs = append(vs, v)
		} else {
			vs = append(vs, 1) // not a number: keep the table
		}
	}
	return vs
}
