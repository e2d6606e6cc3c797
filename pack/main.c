#include <stdio.h>

int main(int argc, char **argv)
{
	fprintf(stderr, "weft-pack: not implemented yet\n");
	return 1;
}
