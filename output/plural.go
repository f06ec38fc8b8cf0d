package output

import (
	"strconv"
	"strings"
)

// Plural returns n followed by the noun in the number it takes:
// Plural(1, "change", "changes") is "1 change", Plural(0, …) and
// Plural(2, …) are "0 changes" and "2 changes". English only, like every
// message adjc prints.
func Plural(n int, one, many string) string {
	if n == 1 || n == -1 {
		return strconv.Itoa(n) + " " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Count is a number and what it counts, one part of a total line:
// Count{3, "to create"} reads "3 to create".
type Count struct {
	N    int
	What string
}

// TotalLine returns "name: 3 to create, 1 to update": the non-zero counts in
// the order given, after the name. When every count is zero it returns
// "name: none".
func TotalLine(name string, counts ...Count) string {
	parts := make([]string, 0, len(counts))
	for _, c := range counts {
		if c.N != 0 {
			parts = append(parts, strconv.Itoa(c.N)+" "+c.What)
		}
	}
	if len(parts) == 0 {
		return name + ": none"
	}
	return name + ": " + strings.Join(parts, ", ")
}
