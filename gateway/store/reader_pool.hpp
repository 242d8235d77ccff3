#pragma once
// The readers' connections of a store, each lent to one query at a time so
// reads run beside the writer; a query waits while all are busy.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

namespace carebridge::gateway::store {

template <class Reader>
class ReaderPool {
public:
    class Lease {
    public:
        Lease(ReaderPool& pool, Reader& reader) : pool_(pool), reader_(reader) {}
        ~Lease() { pool_.give_back(reader_); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Reader& operator*() { return reader_; }
        Reader* operator->() { return &reader_; }

    private:
        ReaderPool& pool_;
        Reader& reader_;
    };

    // At open, before the store is shared.
    void add(std::unique_ptr<Reader> reader) {
        idle_.reserve(readers_.size() + 1);  // so giving one back never allocates
        idle_.push_back(reader.get());
        readers_.push_back(std::move(reader));
    }
    bool empty() const { return readers_.empty(); }

    Lease lease() {
        std::unique_lock lock(mutex_);
        returned_.wait(lock, [this] { return !idle_.empty(); });
        Reader* reader = idle_.back();
        idle_.pop_back();
        return Lease(*this, *reader);
    }

private:
    void give_back(Reader& reader) {
        {
            std::lock_guard lock(mutex_);
            idle_.push_back(&reader);  // never longer than at open, so no allocation
        }
        returned_.notify_one();
    }

    std::vector<std::unique_ptr<Reader>> readers_;
    std::vector<Reader*> idle_;
    std::mutex mutex_;
    std::condition_variable returned_;
};

}  // namespace carebridge::gateway::store
