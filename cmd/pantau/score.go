package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/pantau/pantau/alerting/textmodel"
)

// maxScoreLine caps one input line of `pantau score`. Mentions are short;
// a longer line is reported and skipped, never buffered whole.
const maxScoreLine = 64 << 10

// scoreInput is one JSON input line. Unknown fields are ignored.
type scoreInput struct {
	Text       *string            `json:"text"`
	Lang       string             `json:"lang"`
	Source     string             `json:"source"`
	Followers  *float64           `json:"followers"`
	Engagement map[string]float64 `json:"engagement"`
}

// scoreOutput is one output line.
type scoreOutput struct {
	Line      int      `json:"line"`
	Source    string   `json:"source,omitempty"`
	Error     string   `json:"error,omitempty"`
	Lang      string   `json:"lang,omitempty"`
	Scored    *bool    `json:"scored,omitempty"`
	Complaint *float64 `json:"complaint,omitempty"`
	Severity  *int     `json:"severity,omitempty"`
	Sentiment *float64 `json:"sentiment,omitempty"`
	Arousal   *float64 `json:"arousal,omitempty"`
	Threats   []string `json:"threats,omitempty"`
	FollowUp  bool     `json:"follow_up,omitempty"`
	Private   bool     `json:"private,omitempty"`
	Reasons   []string `json:"reasons,omitempty"`
	Virality  *float64 `json:"virality,omitempty"`
}

// cmdScore scores text from stdin: JSON lines ({"text": ..., "lang": ...,
// "source": ..., "followers": ..., "engagement": {...}}) or plain lines of
// text (a line that does not start with '{'). It writes one JSON line per
// input line; a bad line gets an "error" naming its line number and the
// rest go on.
func cmdScore(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("score", flag.ContinueOnError)
	fs.SetOutput(stderr)
	hint := fs.String("lang", "", "language hint for lines that carry none (en, id)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("score: unexpected argument %q (input comes from stdin)", fs.Arg(0))
	}
	m := textmodel.Default()
	in := bufio.NewReaderSize(stdin, 64<<10)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(true) // output may end up in a web page: keep <, >, & escaped

	var buf []byte
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, tooLong, err := readCappedLine(in, &buf, maxScoreLine)
		if errors.Is(err, io.EOF) && len(line) == 0 && !tooLong {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("score: reading line %d: %w", n, err)
		}
		line = bytes.TrimSpace(line)
		switch {
		case tooLong:
			_ = enc.Encode(scoreOutput{Line: n, Error: fmt.Sprintf("line %d: longer than %d KiB, skipped", n, maxScoreLine>>10)})
		case len(line) == 0:
			// a blank line is no input
		case line[0] == '{':
			var si scoreInput
			if jerr := json.Unmarshal(line, &si); jerr != nil {
				_ = enc.Encode(scoreOutput{Line: n, Error: fmt.Sprintf("line %d: invalid JSON: %v", n, jerr)})
				break
			}
			if si.Text == nil {
				_ = enc.Encode(scoreOutput{Line: n, Source: si.Source, Error: fmt.Sprintf("line %d: no \"text\" field", n)})
				break
			}
			lang := si.Lang
			if lang == "" {
				lang = *hint
			}
			o := scoreOne(m, n, *si.Text, lang)
			o.Source = si.Source
			o.Virality = virality(si.Followers, si.Engagement, o)
			_ = enc.Encode(o)
		default:
			_ = enc.Encode(scoreOne(m, n, string(line), *hint))
		}
		if err := out.Flush(); err != nil {
			return err
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
	}
}

// readCappedLine reads one line into *buf, keeping at most limit bytes;
// tooLong reports that the line was longer (the rest is consumed).
func readCappedLine(r *bufio.Reader, buf *[]byte, limit int) (line []byte, tooLong bool, err error) {
	*buf = (*buf)[:0]
	for {
		chunk, isPrefix, e := r.ReadLine()
		if len(*buf)+len(chunk) > limit {
			tooLong = true
		} else {
			*buf = append(*buf, chunk...)
		}
		if e != nil {
			return *buf, tooLong, e
		}
		if !isPrefix {
			return *buf, tooLong, nil
		}
	}
}

func scoreOne(m *textmodel.Model, n int, text, lang string) scoreOutput {
	a := m.Analyze(text, lang)
	o := scoreOutput{Line: n, Lang: string(a.Lang), Scored: &a.Scored, Threats: a.Threats, FollowUp: a.FollowUp,
		Private: a.Private, Reasons: a.Evidence}
	if !a.Scored {
		o.Reasons = []string{"language not recognised: not scored"}
		return o
	}
	c, s, ar := round3(a.Complaint), round3(a.Sentiment), round3(a.Arousal)
	o.Complaint, o.Sentiment, o.Arousal, o.Severity = &c, &s, &ar, &a.Severity
	return o
}

// virality is a simple, documented reach-and-spread estimate for `pantau
// score` (the daemon's own virality, with engagement over time, lives in
// alerting). Independent signals combine as a noisy OR, each in 0..1:
//
//	reach:  0.2*log10(followers/1000) + 0.1, for 1,000+ followers, at most 0.6
//	spread: 1 - exp(-(reposts*3 + quotes*3 + replies*2 + likes) / 300)
//	voice:  0.3 if the text threatens (lawyer, media, viral...), plus 0.2 * arousal
//
// It is computed only when followers or engagement are given.
func virality(followers *float64, eng map[string]float64, o scoreOutput) *float64 {
	if followers == nil && len(eng) == 0 {
		return nil
	}
	v := 0.0
	add := func(c float64) { v = 1 - (1-v)*(1-math.Max(0, math.Min(1, c))) }
	if followers != nil && *followers >= 1000 {
		add(math.Min(0.6, 0.2*math.Log10(*followers/1000)+0.1))
	}
	if len(eng) > 0 {
		get := func(keys ...string) float64 {
			s := 0.0
			for _, k := range keys {
				if x := eng[k]; x > 0 && !math.IsInf(x, 0) {
					s += x
				}
			}
			return s
		}
		w := 3*get("reposts", "retweets", "shares", "reblogs", "boosts") + 3*get("quotes") + 2*get("replies", "comments") + get("likes", "favourites", "favorites", "upvotes")
		add(1 - math.Exp(-w/300))
	}
	if len(o.Threats) > 0 {
		add(0.3)
	}
	if o.Arousal != nil {
		add(0.2 * *o.Arousal)
	}
	r := round3(v)
	return &r
}

func round3(x float64) float64 {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(x, 'f', 3, 64), 64)
	return r
}
