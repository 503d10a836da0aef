/* A libFuzzer driver for .NET fuzz targets: libFuzzer runs here, the target runs in a .NET process that
 * SharpFuzz instrumented, and the two talk over SharpFuzz's libFuzzer protocol (SharpFuzz 2.x,
 * Fuzzer.LibFuzzer.Run; the upstream counterpart of this file is libfuzzer-dotnet).
 *
 *   dotnet-libfuzzer [libFuzzer flags] [corpus dirs] -- COMMAND [ARGS...]
 *
 * Everything after "--" starts the .NET process once (e.g. `dotnet BitNative.Fuzz.dll gguf`); libFuzzer
 * then sends it every input. The protocol, POSIX side:
 *   - One System V shared memory segment: MAP_SIZE bytes of AFL-style edge counters, which the
 *     instrumented assemblies increment (one byte per hashed edge between basic blocks), then the input.
 *   - The child finds the segment and two pipes through its environment: __LIBFUZZER_SHM_ID (the shmget
 *     id), __LIBFUZZER_CONTROL_PIPE_ID (the fd it reads) and __LIBFUZZER_STATUS_PIPE_ID (the fd it writes).
 *   - The child writes an int32 0 when it is ready. Per input the driver zeroes the counters, copies the
 *     input after them, and writes its length (int32) to the control pipe; the child runs the target on
 *     the bytes and writes an int32 status: 0, or non-zero for an exception that escaped the target,
 *     which it has printed to stderr before it stops.
 *   - All integers are native-endian; the child is a process on the same machine.
 *
 * The driver copies the counters into the __libfuzzer_extra_counters section, which libFuzzer reads as
 * coverage features after each input (so `ft:` in its status lines is the .NET coverage; `cov:` only
 * counts this file's few edges). A non-zero status, or a child that dies (a native crash, a stack
 * overflow, the runtime's fail-fast), aborts the driver, which makes libFuzzer save the input as a
 * crash-* file. A hang is libFuzzer's -timeout: it exits, and the child dies with it (PR_SET_PDEATHSIG).
 * At exit the driver prints how many distinct .NET edges any input reached. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAP_SIZE (1 << 16) /* SharpFuzz's map size: the instrumentation masks edge ids to it */
#define MAX_INPUT (1 << 20)
#define CHILD_CONTROL_FD 198 /* the fds the child gets; their numbers travel in the environment */
#define CHILD_STATUS_FD 199

__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t extra_counters[MAP_SIZE];

static uint8_t* shared;          /* MAP_SIZE counters, then the input */
static uint64_t seen[MAP_SIZE / 8]; /* edges any input reached (non-zero bytes), for the exit summary */
static int control_fd = -1, status_fd = -1;
static pid_t child = -1;

static void fail(const char* what) {
    fprintf(stderr, "dotnet-libfuzzer: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Full read or write of n bytes; returns the bytes moved (fewer only at end of file or on an error). */
static size_t io_all(int fd, void* buf, size_t n, int writing) {
    size_t done = 0;
    while (done < n) {
        ssize_t r = writing ? write(fd, (char*)buf + done, n - done) : read(fd, (char*)buf + done, n - done);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        done += (size_t)r;
    }
    return done;
}

/* The child is gone: say how, then abort so libFuzzer keeps the input that did it. */
static void child_died(void) {
    int st = 0;
    if (child > 0 && waitpid(child, &st, 0) == child) {
        if (WIFSIGNALED(st))
            fprintf(stderr, "dotnet-libfuzzer: the .NET process was killed by signal %d (%s)\n", WTERMSIG(st), strsignal(WTERMSIG(st)));
        else
            fprintf(stderr, "dotnet-libfuzzer: the .NET process exited with code %d\n", WEXITSTATUS(st));
        child = -1;
    } else {
        fprintf(stderr, "dotnet-libfuzzer: lost the .NET process\n");
    }
    abort();
}

static void print_summary(void) {
    size_t edges = 0;
    const uint8_t* b = (const uint8_t*)seen;
    for (size_t i = 0; i < MAP_SIZE; i++) edges += b[i] != 0;
    fprintf(stderr, "dotnet-libfuzzer: .NET edges reached: %zu of %d map entries\n", edges, MAP_SIZE);
}

int LLVMFuzzerInitialize(int* argc, char*** argv) {
    int sep = 0;
    while (sep < *argc && strcmp((*argv)[sep], "--") != 0) sep++;
    if (sep >= *argc - 1) {
        fprintf(stderr, "usage: %s [libFuzzer flags] [corpus dirs] -- COMMAND [ARGS...]\n", (*argv)[0]);
        exit(2);
    }
    char** command = *argv + sep + 1;
    (*argv)[sep] = NULL; /* libFuzzer sees only what comes before "--" */
    *argc = sep;

    int shm_id = shmget(IPC_PRIVATE, MAP_SIZE + MAX_INPUT, IPC_CREAT | IPC_EXCL | 0600);
    if (shm_id < 0) fail("shmget");
    shared = shmat(shm_id, NULL, 0);
    if (shared == (void*)-1) fail("shmat");
    int control[2], status[2];
    if (pipe2(control, O_CLOEXEC) != 0 || pipe2(status, O_CLOEXEC) != 0) fail("pipe2");
    signal(SIGPIPE, SIG_IGN); /* a write to a dead child is EPIPE, reported as its death */

    pid_t parent = getpid();
    child = fork();
    if (child < 0) fail("fork");
    if (child == 0) {
        /* Die with the driver (libFuzzer leaves by _Exit on a timeout or crash, skipping any cleanup). */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(1);
        if (dup2(control[0], CHILD_CONTROL_FD) < 0 || dup2(status[1], CHILD_STATUS_FD) < 0) _exit(1); /* dup2 clears O_CLOEXEC */
        char id[16];
        snprintf(id, sizeof id, "%d", shm_id);
        setenv("__LIBFUZZER_SHM_ID", id, 1);
        setenv("__LIBFUZZER_CONTROL_PIPE_ID", "198", 1);
        setenv("__LIBFUZZER_STATUS_PIPE_ID", "199", 1);
        signal(SIGPIPE, SIG_DFL);
        execvp(command[0], command);
        fprintf(stderr, "dotnet-libfuzzer: cannot run %s: %s\n", command[0], strerror(errno));
        _exit(127);
    }
    close(control[0]);
    close(status[1]);
    control_fd = control[1];
    status_fd = status[0];
    /* The child attaches before it says it is ready; then the segment is marked for removal, so it goes
     * when the last process detaches, however the driver ends. */
    int32_t ready;
    if (io_all(status_fd, &ready, sizeof ready, 0) != sizeof ready) {
        fprintf(stderr, "dotnet-libfuzzer: the .NET process did not start the SharpFuzz libFuzzer loop (Fuzzer.LibFuzzer.Run)\n");
        shmctl(shm_id, IPC_RMID, NULL);
        exit(1);
    }
    shmctl(shm_id, IPC_RMID, NULL);
    atexit(print_summary);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > MAX_INPUT) {
        fprintf(stderr, "dotnet-libfuzzer: an input of %zu bytes exceeds the %d-byte limit (-max_len)\n", size, MAX_INPUT);
        exit(1);
    }
    memset(shared, 0, MAP_SIZE);
    memcpy(shared + MAP_SIZE, data, size);
    int32_t length = (int32_t)size, status;
    if (io_all(control_fd, &length, sizeof length, 1) != sizeof length) child_died();
    if (io_all(status_fd, &status, sizeof status, 0) != sizeof status) child_died();
    memcpy(extra_counters, shared, MAP_SIZE);
    const uint64_t* words = (const uint64_t*)shared;
    for (size_t i = 0; i < MAP_SIZE / 8; i++) seen[i] |= words[i];
    if (status != 0) {
        fprintf(stderr, "dotnet-libfuzzer: the target threw (status %d; the exception is printed above)\n", status);
        abort();
    }
    return 0;
}
