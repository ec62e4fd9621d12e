// Command plot turns the raw output of `make bench` into what a reader looks
// at first: a short summary table and two SVG charts, drawn from the run's
// own results. It also folds benchstat tables that say nothing.
//
// Usage:
//
//	plot summary -out DIR [-note TEXT] RAW...
//	        print the summary; write DIR/cost-per-event.svg and DIR/latency.svg
//	        (-format png for pictures to paste elsewhere; -note: small print
//	        under the titles saying where the numbers come from)
//	plot fold < TABLES > FOLDED    drop benchstat tables whose values are all zero or "~"
//
// It lives in its own module so that the library's importers never see its
// dependencies.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	switch os.Args[1] {
	case "summary":
		fs := flag.NewFlagSet("summary", flag.ExitOnError)
		out := fs.String("out", "", "directory for the charts (none drawn when empty)")
		format := fs.String("format", "svg", "chart format: svg, png or pdf")
		note := fs.String("note", "", "small print under the charts' titles: where the numbers come from")
		fs.Parse(os.Args[2:])
		if err := summary(*out, *format, *note, fs.Args()); err != nil {
			fmt.Fprintln(os.Stderr, "plot summary:", err)
			os.Exit(1)
		}
	case "fold":
		if err := fold(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "plot fold:", err)
			os.Exit(1)
		}
	default:
		usage()
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: plot summary [-out DIR] RAW... | plot fold < TABLES")
	os.Exit(2)
}

func summary(out, format, note string, raw []string) error {
	rs, err := parseFiles(raw)
	if err != nil {
		return err
	}
	if len(rs) == 0 {
		return fmt.Errorf("no benchmark results in %v", raw)
	}
	writeSummary(os.Stdout, rs)
	if out == "" {
		return nil
	}
	for _, c := range []struct {
		file string
		draw func(results, string, string) (bool, error)
	}{
		{"cost-per-event." + format, costChart},
		{"latency." + format, latencyChart},
	} {
		if _, err := c.draw(rs, filepath.Join(out, c.file), note); err != nil {
			return fmt.Errorf("%s: %w", c.file, err)
		}
	}
	return nil
}
