// Time and resident memory while streaming care-notes exports of growing size:
// writes an export of N clients, reads it back client by client (XSD-validated
// and mapped, as the gateway does) in a child process RUNS times, and prints
// the median time, its range, MB/s and the child's peak RSS. Flat RSS means
// constant memory; each run is a fresh process, so its peak is its own. MB/s
// is given per wall-clock second and per CPU second of the child: on a shared
// machine the second is what one core gives, the first what this run got.
// Usage: carenotes_memory [--runs N] [--tsv FILE] CLIENTS...
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "synthetic_export.hpp"

namespace {

struct StreamRun {
    double seconds = 0;
    double cpu_seconds = 0;
    double peak_rss_mb = 0;
};

// One pass over the export in a child process; false when the child failed.
bool stream_in_child(const std::string& path, std::size_t clients, StreamRun& run) {
    const auto start = std::chrono::steady_clock::now();
    const pid_t child = fork();
    if (child == 0) _exit(carebridge::bench::stream_export(path) == clients ? 0 : 3);
    int status = 0;
    rusage usage{};
    wait4(child, &status, 0, &usage);
    run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    run.peak_rss_mb = static_cast<double>(usage.ru_maxrss) / 1024.0;
    run.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                      static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace carebridge;
    int runs = 1;
    std::FILE* tsv = nullptr;
    std::vector<std::size_t> sizes;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
            runs = std::max(1, std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--tsv") == 0 && i + 1 < argc) {
            tsv = std::fopen(argv[++i], "w");
            if (!tsv) return 1;
            std::fprintf(tsv, "clients\texport_mb\tseconds\tseconds_min\tseconds_max\tmb_s\tcpu_seconds\tmb_per_cpu_s\tpeak_rss_mb\n");
        } else {
            sizes.push_back(std::strtoull(argv[i], nullptr, 10));
        }
    }
    std::printf("| clients | export MB | stream time, median (range) | MB/s | CPU time, median | MB per CPU second | "
                "peak RSS while streaming (MB) |\n|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const std::size_t clients : sizes) {
        const std::string path =
            (std::filesystem::temp_directory_path() / ("carebridge-rss-" + std::to_string(clients) + ".xml")).string();
        const double mb = static_cast<double>(bench::write_synthetic_export(path, clients)) / 1e6;
        std::vector<StreamRun> done(static_cast<std::size_t>(runs));
        bool ok = true;
        for (auto& run : done) ok = ok && stream_in_child(path, clients, run);
        std::remove(path.c_str());
        if (!ok) {
            std::fprintf(stderr, "streaming %zu clients failed\n", clients);
            return 1;
        }
        std::sort(done.begin(), done.end(), [](const StreamRun& a, const StreamRun& b) { return a.seconds < b.seconds; });
        const std::size_t n = done.size();
        const double median = n % 2 ? done[n / 2].seconds : (done[n / 2 - 1].seconds + done[n / 2].seconds) / 2;
        double peak = 0;
        std::vector<double> cpu;
        for (const auto& run : done) {
            peak = std::max(peak, run.peak_rss_mb);
            cpu.push_back(run.cpu_seconds);
        }
        std::sort(cpu.begin(), cpu.end());
        const double cpu_median = n % 2 ? cpu[n / 2] : (cpu[n / 2 - 1] + cpu[n / 2]) / 2;
        std::printf("| %zu | %.1f | %.2f s (%.2f–%.2f) | %.1f | %.2f s | %.1f | %.1f |\n", clients, mb, median,
                    done.front().seconds, done.back().seconds, mb / median, cpu_median, mb / cpu_median, peak);
        std::fflush(stdout);
        if (tsv)
            std::fprintf(tsv, "%zu\t%.1f\t%.3f\t%.3f\t%.3f\t%.1f\t%.3f\t%.1f\t%.1f\n", clients, mb, median,
                         done.front().seconds, done.back().seconds, mb / median, cpu_median, mb / cpu_median, peak);
    }
    if (tsv) std::fclose(tsv);
    return 0;
}
