/*
 * harness.exe: loads the filter DLL and calls its exports as LSA does, for
 * the Wine test (pwsync/wine_lab_test.go). Wine has no lsass, so nothing
 * else would ever call them there.
 *
 *   harness DLL init                 InitializeChangeNotify
 *   harness DLL notify RID ACCOUNT   PasswordChangeNotify, password on stdin
 *   harness DLL filter ACCOUNT       PasswordFilter (a change), password on stdin
 *   harness DLL acl                  print the pipe's DACL as SDDL
 *
 * It prints one line: the result, the call's duration in microseconds and
 * the DLL's dropped count. The password is read from stdin (one line), never
 * argv: under Wine, argv is in /proc/<pid>/cmdline like any process's.
 */
#define WIN32_NO_STATUS
#include <windows.h>
#undef WIN32_NO_STATUS
#include <ntstatus.h>
#include <ntsecapi.h>
#include <aclapi.h>
#include <sddl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef BOOLEAN(NTAPI *init_fn)(void);
typedef NTSTATUS(NTAPI *notify_fn)(PUNICODE_STRING, ULONG, PUNICODE_STRING);
typedef BOOLEAN(NTAPI *filter_fn)(PUNICODE_STRING, PUNICODE_STRING, PUNICODE_STRING, BOOLEAN);
typedef LONG(WINAPI *dropped_fn)(void);

static WCHAR pwbuf[512], namebuf[256];

static void ustr(UNICODE_STRING *u, WCHAR *buf, const char *s, int cap)
{
	int n = MultiByteToWideChar(CP_UTF8, 0, s, -1, buf, cap);
	u->Buffer = buf;
	u->Length = (USHORT)((n > 0 ? n - 1 : 0) * sizeof(WCHAR));
	u->MaximumLength = (USHORT)(cap * sizeof(WCHAR));
}

static void read_password(UNICODE_STRING *u)
{
	char line[1024];
	if (!fgets(line, sizeof line, stdin))
		line[0] = 0;
	line[strcspn(line, "\r\n")] = 0;
	ustr(u, pwbuf, line, 512);
	SecureZeroMemory(line, sizeof line);
}

static double micros(LARGE_INTEGER a, LARGE_INTEGER b)
{
	LARGE_INTEGER f;
	QueryPerformanceFrequency(&f);
	return (double)(b.QuadPart - a.QuadPart) * 1e6 / (double)f.QuadPart;
}

int main(int argc, char **argv)
{
	WCHAR dllw[MAX_PATH];
	HMODULE dll;
	LARGE_INTEGER t0, t1;
	dropped_fn dropped;

	if (argc < 3) {
		fprintf(stderr, "usage: harness DLL init|notify RID ACCOUNT|filter ACCOUNT|acl\n");
		return 2;
	}
	MultiByteToWideChar(CP_UTF8, 0, argv[1], -1, dllw, MAX_PATH);
	dll = LoadLibraryW(dllw);
	if (dll == NULL) {
		fprintf(stderr, "harness: LoadLibrary %s: error %lu\n", argv[1], GetLastError());
		return 1;
	}
	dropped = (dropped_fn)(void *)GetProcAddress(dll, "AdjcDroppedCount");
	if (strcmp(argv[2], "init") == 0) {
		init_fn f = (init_fn)(void *)GetProcAddress(dll, "InitializeChangeNotify");
		if (!f)
			return 1;
		printf("init %s\n", f() ? "TRUE" : "FALSE");
		return 0;
	}
	if (strcmp(argv[2], "notify") == 0 && argc == 5) {
		notify_fn f = (notify_fn)(void *)GetProcAddress(dll, "PasswordChangeNotify");
		UNICODE_STRING name, pw;
		NTSTATUS st;
		if (!f)
			return 1;
		ustr(&name, namebuf, argv[4], 256);
		read_password(&pw);
		QueryPerformanceCounter(&t0);
		st = f(&name, (ULONG)strtoul(argv[3], NULL, 10), &pw);
		QueryPerformanceCounter(&t1);
		SecureZeroMemory(pwbuf, sizeof pwbuf);
		printf("notify status=0x%08lx us=%.0f dropped=%ld\n", (unsigned long)st, micros(t0, t1), dropped ? dropped() : -1L);
		return 0;
	}
	if (strcmp(argv[2], "filter") == 0 && argc == 4) {
		filter_fn f = (filter_fn)(void *)GetProcAddress(dll, "PasswordFilter");
		UNICODE_STRING name, full, pw;
		BOOLEAN ok;
		if (!f)
			return 1;
		ustr(&name, namebuf, argv[3], 256);
		ustr(&full, namebuf, argv[3], 256);
		read_password(&pw);
		QueryPerformanceCounter(&t0);
		ok = f(&name, &full, &pw, FALSE);
		QueryPerformanceCounter(&t1);
		SecureZeroMemory(pwbuf, sizeof pwbuf);
		printf("filter %s us=%.0f\n", ok ? "TRUE" : "FALSE", micros(t0, t1));
		return 0;
	}
	if (strcmp(argv[2], "acl") == 0) {
		HANDLE h = CreateFileW(L"\\\\.\\pipe\\adjc-password-sync", READ_CONTROL, 0, NULL, OPEN_EXISTING, 0, NULL);
		PSECURITY_DESCRIPTOR sd = NULL;
		LPSTR s = NULL;
		if (h == INVALID_HANDLE_VALUE) {
			fprintf(stderr, "harness: open pipe: error %lu\n", GetLastError());
			return 1;
		}
		if (GetSecurityInfo(h, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL, NULL, NULL, NULL, &sd) != ERROR_SUCCESS ||
		    !ConvertSecurityDescriptorToStringSecurityDescriptorA(sd, SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &s, NULL)) {
			fprintf(stderr, "harness: read the pipe's DACL: error %lu\n", GetLastError());
			return 1;
		}
		printf("acl %s\n", s);
		return 0;
	}
	fprintf(stderr, "harness: unknown command\n");
	return 2;
}
