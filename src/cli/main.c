#include <stdio.h>
int main(void) { puts("winrescue " WR_VERSION); return 0; }
