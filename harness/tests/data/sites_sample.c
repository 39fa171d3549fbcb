/* kmalloc( in a comment is not a call */
static int f(struct x *x)
{
	x->a = kzalloc(sizeof(*x->a),
		       GFP_KERNEL);
	x->b = kmem_cache_zalloc(x->cache, GFP_KERNEL); // kfree(x)
	x->c = vmalloc_user(10);
	return x->a ? 0 : -ENOMEM;
}
#define MY_ALLOC(n) kmalloc(n, GFP_KERNEL)
