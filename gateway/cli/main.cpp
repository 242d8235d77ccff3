#include <cstdio>
int main() { std::puts("carebridge"); return 0; }
