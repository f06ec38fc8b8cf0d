package output_test

import (
	"fmt"

	"github.com/adjc/adjc/output"
)

func ExampleSafe() {
	fmt.Println(output.Safe("Mallory\x1b]0;owned\a\u202eexe.txt"))
	// Output: Mallory\x1b]0;owned\a\u202eexe.txt
}

func ExamplePlural() {
	fmt.Println(output.Plural(1, "change", "changes"))
	fmt.Println(output.Plural(3, "managed user", "managed users"))
	// Output:
	// 1 change
	// 3 managed users
}

func ExampleTotalLine() {
	fmt.Println(output.TotalLine("users", output.Count{N: 3, What: "to create"},
		output.Count{N: 0, What: "to delete"}, output.Count{N: 1, What: "to update"}))
	// Output: users: 3 to create, 1 to update
}
