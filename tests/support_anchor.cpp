// Keeps carebridge_test_support a library even before it has sources of its own.
namespace carebridge::testing {
int support_anchor = 0;
}
