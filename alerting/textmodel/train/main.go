// Command train regenerates every number the text model ships: the lexicon,
// the language evidence, the weights of every head, the thresholds. Run it
// from the repository root:
//
//	go run ./alerting/textmodel/train -data ../shared/data
//
// It reads only shared/data, is deterministic (no random numbers: folds
// come from a hash of each text, the optimiser starts from zero), and
// writes alerting/textmodel/data/*.tsv. With -eval it then prints the same
// evaluation as `pantau eval`, for the model it just built.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/pantau/pantau/alerting/textmodel"
)

func main() {
	data := flag.String("data", "../shared/data", "the shared/data folder")
	out := flag.String("out", "alerting/textmodel/data", "where to write the model files")
	eval := flag.Bool("eval", false, "evaluate the new model afterwards")
	flag.Parse()
	if err := run(*data, *out, *eval); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run(data, out string, eval bool) error {
	start := time.Now()
	d, err := textmodel.LoadData(data)
	if err != nil {
		return err
	}
	b, err := textmodel.Build(d, os.Stderr)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(b.Files))
	for k := range b.Files {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		p := filepath.Join(out, k)
		if err := os.WriteFile(p, b.Files[k], 0o644); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "wrote %s (%d bytes)\n", p, len(b.Files[k]))
	}
	fmt.Fprintf(os.Stderr, "trained in %s\n", time.Since(start).Round(time.Millisecond))
	if !eval {
		return nil
	}
	m, err := textmodel.Parse(os.DirFS(filepath.Dir(out)))
	if err != nil {
		return err
	}
	rep, err := textmodel.Evaluate(d, m, os.Stderr)
	if err != nil {
		return err
	}
	rep.Print(os.Stdout)
	return nil
}
