package collectors

import "testing"

func TestKeywordMatcher(t *testing.T) {
	tests := map[string]struct {
		keywords []string
		text     string
		want     bool
	}{
		"exact":                       {[]string{"acme"}, "I love acme", true},
		"case insensitive":            {[]string{"Acme"}, "ACME is down", true},
		"inside another word":         {[]string{"acme"}, "Acmeville resort", false},
		"prefix of another word":      {[]string{"acme"}, "the nonacme brand", false},
		"possessive":                  {[]string{"acme"}, "Acme's app crashed", true},
		"punctuation around":          {[]string{"acme"}, "(acme), [acme]!", true},
		"digits are word characters":  {[]string{"acme"}, "acme2 launch", false},
		"indonesian -nya":             {[]string{"acme"}, "CS Acmenya nggak dibales", true},
		"indonesian -ku":              {[]string{"acme"}, "Acmeku error lagi", true},
		"indonesian -lah":             {[]string{"gojek"}, "Gojeklah yang telat", true},
		"clitic must end the word":    {[]string{"acme"}, "acmenyala", false},
		"indonesian sentence":         {[]string{"acme bank"}, "Kecewa bgt sama Acme  Bank, udh 3 hari gk bisa transfer", true},
		"multi word across newline":   {[]string{"acme bank"}, "acme\nbank", true},
		"multi word partial":          {[]string{"acme bank"}, "acme banking", false},
		"hashtag keyword":             {[]string{"#acme"}, "lagi2 #acme down", true},
		"hashtag keyword, no hashtag": {[]string{"#acme"}, "acme down", false},
		"hashtag text, plain keyword": {[]string{"acme"}, "#acme down", true},
		"handle underscore":           {[]string{"acme"}, "@acme_id tolong", false},
		"handle keyword":              {[]string{"@acme_id"}, "halo @acme_id tolong", true},
		"unicode case fold":           {[]string{"ñandú"}, "Viaje con ÑANDÚ hoy", true},
		"unicode boundary":            {[]string{"café"}, "cafés here", false},
		"japanese without spaces":     {[]string{"楽天"}, "楽天のアプリが落ちた", true},
		"second keyword":              {[]string{"foo", "acme"}, "acme", true},
		"none":                        {[]string{"acme"}, "nothing here", false},
		"match all":                   {[]string{"*"}, "anything", true},
		"empty keywords match none":   {nil, "acme", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := newKeywordMatcher(tc.keywords).match(tc.text) != ""
			if got != tc.want {
				t.Fatalf("keywords %q in %q: got %v, want %v", tc.keywords, tc.text, got, tc.want)
			}
		})
	}
}
