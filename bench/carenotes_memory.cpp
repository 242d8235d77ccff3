// Resident memory while streaming care-notes exports of growing size: writes
// an export of N clients, reads it back client by client in a child process
// and prints the child's peak RSS. Flat figures mean constant memory.
// Usage: carenotes_memory N...
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "synthetic_export.hpp"

int main(int argc, char** argv) {
    using namespace carebridge;
    std::printf("| clients | export MB | peak RSS while streaming (MB) |\n|---:|---:|---:|\n");
    for (int i = 1; i < argc; ++i) {
        const std::size_t clients = std::strtoull(argv[i], nullptr, 10);
        const std::string path =
            (std::filesystem::temp_directory_path() / ("carebridge-rss-" + std::to_string(clients) + ".xml")).string();
        const std::size_t bytes = bench::write_synthetic_export(path, clients);
        const pid_t child = fork();
        if (child == 0) _exit(bench::stream_export(path) == clients ? 0 : 3);
        int status = 0;
        rusage usage{};
        wait4(child, &status, 0, &usage);
        std::remove(path.c_str());
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            std::fprintf(stderr, "streaming %zu clients failed\n", clients);
            return 1;
        }
        std::printf("| %zu | %.1f | %.1f |\n", clients, static_cast<double>(bytes) / 1e6,
                    static_cast<double>(usage.ru_maxrss) / 1024.0);
    }
    return 0;
}
