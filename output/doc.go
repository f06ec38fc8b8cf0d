// Package output is where adjc meets the terminal: [Streams] carries stdin,
// stdout and stderr with the facts decided once about them (is each a TTY,
// is colour on, how wide), and the renderers — [Table], [WriteJSON],
// [Printer] and the [Style] roles — write through it.
//
// Rules every renderer follows (STYLE.md §5):
//   - stdout carries results; stderr carries logs, prompts and warnings;
//   - colour only when [Streams.ColorEnabled] says so; nothing reads NO_COLOR,
//     CLICOLOR or CLICOLOR_FORCE except [System];
//   - output is deterministic: callers sort rows, JSON is marshalled from
//     structs, nothing prints a timestamp or a random id;
//   - every byte meant for a terminal goes through [Safe] (or [SafeLines]):
//     tables, [Streams.Style], [Streams.WriteLine], plain output; JSON is
//     escaped by [WriteJSON] itself;
//   - a table on a TTY has borders and fits [Streams.Width], shortening (or,
//     with [Streams.SetDetailed], wrapping) its details column first; anywhere
//     else it is tab-separated, untruncated and unstyled, so `cut -f` works;
//   - counts are printed with [Plural] ("1 change", "2 changes").
//
// Only this package imports tablewriter and lipgloss.
package output
