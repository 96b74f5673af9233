/* p_nosym - a shared object without the golive_plugin_v1 symbol: not a plugin. */
#define _GNU_SOURCE

int not_a_plugin(void);

int not_a_plugin(void)
{
	return 42;
}
