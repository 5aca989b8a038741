package textmodel

import "strconv"

// evidence writes the reasons: the words that weighed most for the verdict,
// what was negated, and the rule-based signals. Staff read these next to
// the mention, so they quote canonical words, never raw input beyond a
// word (no handles, no links), and stay short.
//
// All reasons are written into one reused buffer, copied into one string,
// and sliced: a call costs two allocations (that string and the slice)
// however many reasons there are.
func (m *Model) evidence(z *scratch, o *outputs, share float64) []string {
	b := z.ev[:0]
	var ends [16]int
	n := 0
	end := func() {
		if n < len(ends) {
			ends[n] = len(b)
			n++
		}
	}
	if share > 0.25 && share < 0.75 {
		b = append(b, "code-mixed Indonesian and English"...)
		end()
	}

	// The words behind the verdict: for a complaint, the features that
	// pushed the complaint up (English head) or the sentiment down
	// (Indonesian); otherwise the ones behind the sentiment.
	var kind string
	mode := 0 // 1 complaint, 2 negative, 3 positive
	w := o.idW
	switch {
	case o.complaint >= ComplaintThreshold:
		kind, mode = "complaint words: ", 1
	case o.sentiment <= -0.3:
		kind, mode = "negative words: ", 2
	case o.sentiment >= 0.3:
		kind, mode = "positive words: ", 3
	}
	if mode != 0 {
		var top [3]int32
		var topS [3]float64
		k := 0
		for _, i := range z.hits {
			e := &m.ents[i]
			if e.roles&rNoShow != 0 {
				continue // "for #": true, but no help to a reader
			}
			// The feature's pull toward the verdict in each language's head.
			var sID, sEN float64
			if e.fl&efID != 0 && w > 0 {
				sID = float64(e.w[slotIDNeg] - e.w[slotIDPos])
				if mode == 3 {
					sID = -sID
				}
			}
			if e.fl&efEN != 0 && w < 1 {
				switch mode {
				case 1:
					sEN = float64(e.w[slotENCompl])
				case 2:
					sEN = float64(e.w[slotENNeg] - e.w[slotENPos])
				default:
					sEN = float64(e.w[slotENPos] - e.w[slotENNeg])
				}
			}
			s := (1-w)*sEN + w*sID
			if s < 0.25 || k == 3 && s <= topS[2] {
				continue
			}
			dup := false
			for j := range k {
				dup = dup || top[j] == i
			}
			if dup {
				continue
			}
			// Insert into the top three, best first.
			j := min(k, 2)
			for j > 0 && topS[j-1] < s {
				top[j], topS[j] = top[j-1], topS[j-1]
				j--
			}
			top[j], topS[j] = i, s
			k = min(k+1, 3)
		}
		if k > 0 {
			b = append(b, kind...)
			for j := range k {
				if j > 0 {
					b = append(b, ", "...)
				}
				name := m.names[top[j]]
				b = append(b, '\'')
				if len(name) > 1 && name[0] == '!' {
					b = append(b, "not "...) // "!enak" is "not enak"
					name = name[1:]
				}
				b = append(b, name...)
				b = append(b, '\'')
			}
			end()
		}
	}
	for k := range z.nNegated {
		p := z.negated[k]
		b = append(b, "negated: '"...)
		b = z.appendText(b, m, &z.toks[p[0]])
		b = append(b, ' ')
		b = z.appendText(b, m, &z.toks[p[1]])
		b = append(b, '\'')
		end()
	}
	if z.sarc >= 0 {
		b = append(b, "sarcasm: '"...)
		b = z.appendText(b, m, &z.toks[z.sarc])
		b = append(b, "' before a problem"...)
		end()
	}
	if z.shouts >= 2 || z.shouts == 1 && z.words <= 4 {
		b = append(b, "shouting: "...)
		b = strconv.AppendInt(b, int64(z.shouts), 10)
		b = append(b, " word"...)
		if z.shouts > 1 {
			b = append(b, 's')
		}
		b = append(b, " in capitals"...)
		end()
	}
	if z.excl >= 3 {
		b = append(b, "emphasis: "...)
		b = strconv.AppendInt(b, int64(z.excl), 10)
		b = append(b, " exclamation marks"...)
		end()
	}
	if z.elong > 0 {
		b = append(b, "stretched words: "...)
		b = strconv.AppendInt(b, int64(z.elong), 10)
		end()
	}
	if z.emoNeg >= 1.5 {
		b = append(b, "negative emoji"...)
		end()
	}
	if z.threats != 0 { // most texts threaten nothing
		for i, name := range m.threat {
			if z.threats&(1<<uint(i)) != 0 {
				b = append(b, "threat: "...)
				b = append(b, name...)
				end()
			}
		}
	}
	if z.followUp {
		b = append(b, "follow-up: chasing an answer"...)
		end()
	}
	if z.private {
		b = append(b, "private channel: moves to DM, e-mail or phone"...)
		end()
	}
	if o.arousal >= 0.5 {
		b = append(b, "high arousal "...)
		b = strconv.AppendInt(b, int64(o.arousal*100+0.5), 10)
		b = append(b, '%')
		end()
	}
	z.ev = b
	if n == 0 {
		return nil
	}
	all := string(b) // the one copy: the result must not alias the pooled buffer
	ev := make([]string, n)
	start := 0
	for k := range n {
		ev[k] = all[start:ends[k]]
		start = ends[k]
	}
	return ev
}

// appendText appends a token's canonical text.
func (z *scratch) appendText(b []byte, m *Model, t *tok) []byte {
	switch {
	case t.kind == kNum:
		return append(b, '#')
	case t.s < 0 && t.e >= 0:
		return append(b, m.names[t.e]...)
	case t.s >= 0:
		return append(b, z.norm[t.s:t.t]...)
	}
	return b
}
