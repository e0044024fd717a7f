// crashkit: the crash-reporter half every corpus program links.
//
// A program calls ck_init() first, declares what it knows about itself
// (threads, frames, patterns), then crashes or calls ck_manual_dump().
// The dump itself is written by a separate process (dumper.exe) through
// OpenProcess + MiniDumpWriteDump, the crashpad/WER model, because a dump
// written by the process about itself under Wine mixes up thread contexts.
// The ground truth goes to expected.json, written by this process from its
// own knowledge (its own PE headers, its own thread ids, the exception
// record the OS handed it), never by an analyzer.
#ifndef CRASHKIT_H
#define CRASHKIT_H

#include <windows.h>

#define CK_MAX_FRAMES 16

#ifdef __cplusplus
extern "C" {
#endif

// ck_init installs the unhandled-exception filter and remembers the case
// name. CK_FULL=1 in the environment asks for a full-memory dump.
void ck_init(const char *case_name);

// ck_module records a loaded module of ours (the EXE is recorded by
// ck_init) so expected.json lists its PE and PDB identity.
void ck_module(HMODULE mod);

// ck_thread declares what a thread is doing: role is a free word
// ("faulting", "blocked-event"...), frames are module!function from the
// top of the stack down, counting only our own modules (system frames in
// between are not asserted), terminated by NULL.
void ck_thread(DWORD tid, const char *role, ...);

// ck_thread_wait names the system call or function that a thread is
// expected to be parked in (checked loosely: it should appear above the
// first own frame).
void ck_thread_via(DWORD tid, const char *via);

void ck_pattern(const char *name);
void ck_not_pattern(const char *name);

// ck_pattern_needs names a pattern that is true of the program but that
// this dump cannot show, and what evidence is missing ("HandleData
// stream, which Wine does not write"). Detectors must not report it from
// this dump; they may say what they would need.
void ck_pattern_needs(const char *name, const char *missing);

// ck_is_full says whether this run writes a full-memory dump.
int  ck_is_full(void);
void ck_note(const char *text);

// ck_fact adds a top-level member with an already-formatted JSON value.
void ck_fact(const char *key, const char *json_value);

// ck_fact_hex adds a top-level member holding "0x..." for v.
void ck_fact_hex(const char *key, unsigned long long v);

// ck_report writes expected.json and has dumper.exe write the dump, with
// the exception if ep is not NULL. The caller's thread waits meanwhile.
void ck_report(EXCEPTION_POINTERS *ep, DWORD faulting_tid);

// ck_manual_dump is ck_report without an exception, then exits.
__attribute__((noreturn)) void ck_manual_dump(void);

// ck_start_reporter starts a helper thread that does the reporting for a
// thread that cannot (stack overflow); ck_hand_off signals it and waits.
void ck_start_reporter(void);
void ck_hand_off(EXCEPTION_POINTERS *ep);

#ifdef __cplusplus
}
#endif

// Keeps the compiler from merging or tail-calling our frames away.
#define CK_NOINLINE __attribute__((noinline))
#define CK_KEEP() __asm__ volatile("" ::: "memory")

#endif
