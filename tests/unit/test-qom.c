/*
 * Unit tests for the object model core: types, classes, casts, properties,
 * the composition tree and object life cycle (qom/object.c).
 */
#include "test.h"
#include "qom/object.h"
#include <signal.h>
#include <sys/wait.h>

/*
 * A small hierarchy:
 *   object -> test-animal (abstract) -> test-dog -> test-puppy
 *   test-dog implements test-barker (an interface); test-cat does not.
 */
#define TYPE_TEST_ANIMAL "test-animal"
#define TYPE_TEST_DOG "test-dog"
#define TYPE_TEST_PUPPY "test-puppy"
#define TYPE_TEST_CAT "test-cat"
#define TYPE_TEST_BARKER "test-barker"

typedef struct TestAnimal {
    Object parent_obj;
    int legs;
    uint8_t u8;
    int32_t i32;
    uint32_t u32;
    bool flag;
    char *name;
    Object *friend;
    int *log;               /* finalize log, shared with the test */
    int log_id;
} TestAnimal;

typedef struct TestAnimalClass {
    ObjectClass parent_class;
    const char *sound;
    int class_inits;        /* how many class_init functions ran */
    int base_inits;
} TestAnimalClass;

typedef struct TestBarkerClass {
    InterfaceClass parent_class;
    const char *(*bark)(Object *obj);
} TestBarkerClass;

DECLARE_OBJ_CHECKERS(TestAnimal, TestAnimalClass, TEST_ANIMAL,
                     TYPE_TEST_ANIMAL)
DECLARE_CLASS_CHECKERS(TestBarkerClass, TEST_BARKER, TYPE_TEST_BARKER)

/* Finalize order is recorded here: (log_id * 10 + level). */
static int finalize_log[64];
static int finalize_count;

static void record_finalize(Object *obj, int level)
{
    TestAnimal *a = TEST_ANIMAL(obj);
    if (a->log) {
        finalize_log[finalize_count++] = a->log_id * 10 + level;
    }
}

static void animal_finalize(Object *obj)
{
    record_finalize(obj, 1);
    free(TEST_ANIMAL(obj)->name);
}

static void dog_finalize(Object *obj)
{
    record_finalize(obj, 2);
}

static void puppy_finalize(Object *obj)
{
    record_finalize(obj, 3);
}

static void animal_init(Object *obj)
{
    TestAnimal *a = TEST_ANIMAL(obj);
    a->legs = 4;
    a->name = xstrdup("nobody");
}

static void dog_init(Object *obj)
{
    /* Runs after animal_init: sees its value. */
    TEST_ANIMAL(obj)->legs += 10;
}

static void animal_post_init(Object *obj)
{
    TEST_ANIMAL(obj)->legs *= 2;
}

static void puppy_post_init(Object *obj)
{
    /* After the parent's post_init and every instance_init. */
    TEST_ANIMAL(obj)->legs += 1;
}

static void animal_class_base_init(ObjectClass *oc, const void *data)
{
    TEST_ANIMAL_CLASS(oc)->base_inits++;
}

static void animal_class_init(ObjectClass *oc, const void *data)
{
    TestAnimalClass *ac = TEST_ANIMAL_CLASS(oc);
    ac->sound = "...";
    ac->class_inits = 1;
}

static const char *dog_bark(Object *obj)
{
    return "woof";
}

static void dog_class_init(ObjectClass *oc, const void *data)
{
    TestAnimalClass *ac = TEST_ANIMAL_CLASS(oc);
    assert_string_equal(ac->sound, "...");  /* copied from the parent */
    ac->sound = "woof";
    ac->class_inits++;
    TEST_BARKER_CLASS(oc)->bark = dog_bark;
}

static void puppy_class_init(ObjectClass *oc, const void *data)
{
    TestAnimalClass *ac = TEST_ANIMAL_CLASS(oc);
    ac->class_inits++;
    /* bark inherited through the dog's interface class */
    assert_ptr_equal(TEST_BARKER_CLASS(oc)->bark, dog_bark);
}

static const TypeInfo test_types[] = {
    {
        .name = TYPE_TEST_BARKER,
        .parent = TYPE_INTERFACE,
        .class_size = sizeof(TestBarkerClass),
    }, {
        .name = TYPE_TEST_ANIMAL,
        .parent = TYPE_OBJECT,
        .instance_size = sizeof(TestAnimal),
        .instance_init = animal_init,
        .instance_post_init = animal_post_init,
        .instance_finalize = animal_finalize,
        .class_size = sizeof(TestAnimalClass),
        .class_init = animal_class_init,
        .class_base_init = animal_class_base_init,
        .abstract = true,
    }, {
        .name = TYPE_TEST_DOG,
        .parent = TYPE_TEST_ANIMAL,
        .instance_init = dog_init,
        .instance_finalize = dog_finalize,
        .class_init = dog_class_init,
        .interfaces = (const InterfaceInfo[]) {
            { TYPE_TEST_BARKER },
            { NULL }
        },
    }, {
        .name = TYPE_TEST_PUPPY,
        .parent = TYPE_TEST_DOG,
        .instance_finalize = puppy_finalize,
        .instance_post_init = puppy_post_init,
        .class_init = puppy_class_init,
    }, {
        .name = TYPE_TEST_CAT,
        .parent = TYPE_TEST_ANIMAL,
    },
};

DEFINE_TYPES(test_types)

/* Run fn in a child process; return its stderr and its terminating signal. */
static char *run_in_child(void (*fn)(void), int *sig)
{
    int fds[2];
    StrBuf out = { 0 };
    char buf[512];
    ssize_t n;
    int status;

    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        fn();
        _exit(0);
    }
    close(fds[1]);
    strbuf_init(&out);
    while ((n = read(fds[0], buf, sizeof(buf))) > 0) {
        strbuf_append_len(&out, buf, n);
    }
    close(fds[0]);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    *sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    return strbuf_steal(&out);
}

static void test_type_hierarchy(void **state)
{
    ObjectClass *animal = object_class_by_name(TYPE_TEST_ANIMAL);
    ObjectClass *dog = object_class_by_name(TYPE_TEST_DOG);
    ObjectClass *puppy = object_class_by_name(TYPE_TEST_PUPPY);

    assert_non_null(puppy);
    assert_null(object_class_by_name("no-such-type"));
    assert_ptr_equal(object_class_get_parent(puppy), dog);
    assert_ptr_equal(object_class_get_parent(dog), animal);
    assert_string_equal(object_class_get_name(object_class_get_parent(animal)),
                        TYPE_OBJECT);
    assert_null(object_class_get_parent(object_class_by_name(TYPE_OBJECT)));
    assert_true(object_class_is_abstract(animal));
    assert_false(object_class_is_abstract(dog));

    /* class_init chain ran in order on copies of the parent class. */
    assert_int_equal(TEST_ANIMAL_CLASS(animal)->class_inits, 1);
    assert_int_equal(TEST_ANIMAL_CLASS(dog)->class_inits, 2);
    assert_int_equal(TEST_ANIMAL_CLASS(puppy)->class_inits, 3);
    assert_string_equal(TEST_ANIMAL_CLASS(puppy)->sound, "woof");
    /* class_base_init: once for dog (copy of animal: 0 + 1), and once
     * more for puppy, whose class starts as a copy of dog's. */
    assert_int_equal(TEST_ANIMAL_CLASS(animal)->base_inits, 0);
    assert_int_equal(TEST_ANIMAL_CLASS(dog)->base_inits, 1);
    assert_int_equal(TEST_ANIMAL_CLASS(puppy)->base_inits, 2);

    /* instance_init runs parent first, then instance_post_init, also
     * parent first: (4 + 10) * 2 + 1. */
    Object *obj = object_new(TYPE_TEST_PUPPY);
    assert_int_equal(TEST_ANIMAL(obj)->legs, 29);
    assert_string_equal(object_get_typename(obj), TYPE_TEST_PUPPY);
    object_unref(obj);
}

static void test_class_list(void **state)
{
    size_t n;
    ObjectClass **list = object_class_get_list(TYPE_TEST_ANIMAL, false, &n);
    bool dog = false, puppy = false, cat = false;

    for (size_t i = 0; i < n; i++) {
        const char *name = object_class_get_name(list[i]);
        assert_string_not_equal(name, TYPE_TEST_ANIMAL);    /* abstract */
        dog |= !strcmp(name, TYPE_TEST_DOG);
        puppy |= !strcmp(name, TYPE_TEST_PUPPY);
        cat |= !strcmp(name, TYPE_TEST_CAT);
    }
    assert_int_equal(n, 3);
    assert_null(list[n]);
    assert_true(dog && puppy && cat);
    free(list);

    list = object_class_get_list(TYPE_TEST_ANIMAL, true, &n);
    assert_int_equal(n, 4);
    free(list);

    /* By interface: dog and puppy bark, cat does not. */
    list = object_class_get_list_sorted(TYPE_TEST_BARKER, false, &n);
    assert_int_equal(n, 2);
    assert_string_equal(object_class_get_name(list[0]), TYPE_TEST_DOG);
    assert_string_equal(object_class_get_name(list[1]), TYPE_TEST_PUPPY);
    free(list);
}

static void new_abstract(void)
{
    object_new(TYPE_TEST_ANIMAL);
}

static void test_abstract_not_instantiable(void **state)
{
    int sig;
    char *err = run_in_child(new_abstract, &sig);
    assert_int_equal(sig, SIGABRT);
    assert_non_null(strstr(err, "cannot create an instance of abstract "
                                "type 'test-animal'"));
    free(err);
}

static void test_casts(void **state)
{
    Object *dog = object_new(TYPE_TEST_DOG);
    Object *cat = object_new(TYPE_TEST_CAT);

    assert_ptr_equal(object_dynamic_cast(dog, TYPE_TEST_ANIMAL), dog);
    assert_ptr_equal(object_dynamic_cast(dog, TYPE_OBJECT), dog);
    assert_ptr_equal(object_dynamic_cast(dog, TYPE_TEST_BARKER), dog);
    assert_null(object_dynamic_cast(cat, TYPE_TEST_BARKER));
    assert_null(object_dynamic_cast(cat, TYPE_TEST_DOG));
    assert_null(object_dynamic_cast(dog, TYPE_TEST_PUPPY));
    assert_null(object_dynamic_cast(dog, "no-such-type"));

    /* Interface classes: a per-class copy, reachable by the cast. */
    TestBarkerClass *bc = TEST_BARKER_CLASS(object_get_class(dog));
    assert_ptr_equal(bc->bark, dog_bark);
    assert_ptr_equal(((InterfaceClass *)bc)->concrete_class,
                     object_get_class(dog));
    assert_null(object_class_dynamic_cast(object_get_class(cat),
                                          TYPE_TEST_BARKER));

    char *msg = object_cast_error_message(cat, TYPE_TEST_DOG);
    assert_non_null(msg);
    assert_non_null(strstr(msg, "is not an instance of type test-dog "
                                "(it is a test-cat)"));
    assert_true(strstart(msg, "Object 0x", NULL));
    free(msg);
    assert_null(object_cast_error_message(dog, TYPE_TEST_ANIMAL));

    msg = object_class_cast_error_message(object_get_class(cat),
                                          TYPE_TEST_BARKER);
    assert_non_null(strstr(msg, "is not an instance of type test-barker "
                                "(it is a test-cat)"));
    free(msg);

    object_unref(dog);
    object_unref(cat);
}

static void bad_checked_cast(void)
{
    Object *cat = object_new(TYPE_TEST_CAT);
    /* TEST_DOG is not declared; use the generic macro. */
    OBJECT_CHECK(TestAnimal, cat, TYPE_TEST_DOG);
}

static void test_failed_checked_cast_aborts(void **state)
{
    int sig;
    char *err = run_in_child(bad_checked_cast, &sig);
    assert_int_equal(sig, SIGABRT);
    assert_non_null(strstr(err, "is not an instance of type test-dog "
                                "(it is a test-cat)"));
    free(err);
}

static bool get_flag(Object *obj, Error **errp)
{
    return TEST_ANIMAL(obj)->flag;
}

static void set_flag(Object *obj, bool v, Error **errp)
{
    TEST_ANIMAL(obj)->flag = v;
}

static char *get_name(Object *obj, Error **errp)
{
    return xstrdup(TEST_ANIMAL(obj)->name);
}

static void set_name(Object *obj, const char *v, Error **errp)
{
    if (!*v) {
        error_setg(errp, "name must not be empty");
        return;
    }
    free(TEST_ANIMAL(obj)->name);
    TEST_ANIMAL(obj)->name = xstrdup(v);
}

static int64_t get_legs(Object *obj, Error **errp)
{
    return TEST_ANIMAL(obj)->legs;
}

static uint32_t get_u32(Object *obj, Error **errp)
{
    return TEST_ANIMAL(obj)->u32;
}

static void set_u32(Object *obj, uint32_t v, Error **errp)
{
    TEST_ANIMAL(obj)->u32 = v;
}

static void expect_error(Error *err, const char *msg)
{
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err), msg);
    error_free(err);
}

static Object *new_dog_with_props(void)
{
    Object *obj = object_new(TYPE_TEST_DOG);
    TestAnimal *a = TEST_ANIMAL(obj);
    object_property_add_bool(obj, "flag", get_flag, set_flag);
    object_property_add_str(obj, "name", get_name, set_name);
    object_property_add_int(obj, "legs", get_legs, NULL);
    object_property_add_uint32(obj, "u32", get_u32, set_u32);
    object_property_add_uint8_ptr(obj, "u8", &a->u8, OBJ_PROP_FLAG_READWRITE);
    object_property_add_int32_ptr(obj, "i32", &a->i32,
                                  OBJ_PROP_FLAG_READWRITE);
    return obj;
}

static void test_properties(void **state)
{
    Object *obj = new_dog_with_props();
    TestAnimal *a = TEST_ANIMAL(obj);
    Error *err = NULL;

    assert_true(object_property_set_bool(obj, "flag", true, &error_abort));
    assert_true(a->flag);
    assert_true(object_property_get_bool(obj, "flag", &error_abort));
    assert_true(object_property_set_str(obj, "name", "rex", &error_abort));
    char *s = object_property_get_str(obj, "name", &error_abort);
    assert_string_equal(s, "rex");
    free(s);
    assert_int_equal(object_property_get_int(obj, "legs", &error_abort), 28);
    assert_true(object_property_set_uint(obj, "u32", 0xffffffffu,
                                         &error_abort));
    assert_int_equal(a->u32, 0xffffffffu);
    assert_true(object_property_set_int(obj, "i32", -5, &error_abort));
    assert_int_equal(a->i32, -5);
    assert_true(object_property_set_uint(obj, "u8", 255, &error_abort));
    assert_int_equal(object_property_get_uint(obj, "u8", &error_abort), 255);

    /* Type strings, as QEMU names them. */
    assert_string_equal(object_property_get_type(obj, "flag", NULL), "bool");
    assert_string_equal(object_property_get_type(obj, "legs", NULL), "int");
    assert_string_equal(object_property_get_type(obj, "u8", NULL), "uint8");
    assert_string_equal(object_property_get_type(obj, "name", NULL),
                        "string");
    /* The class property every object has. */
    s = object_property_get_str(obj, "type", &error_abort);
    assert_string_equal(s, TYPE_TEST_DOG);
    free(s);

    /* Unknown property names the object's type. */
    assert_false(object_property_set_bool(obj, "nope", true, &err));
    expect_error(err, "Property 'test-dog.nope' not found");
    err = NULL;
    assert_null(object_property_get(obj, "nope", &err));
    expect_error(err, "Property 'test-dog.nope' not found");
    err = NULL;

    /* Wrong type. */
    assert_false(object_property_set_str(obj, "u8", "12", &err));
    expect_error(err, "Invalid parameter type for 'u8', expected: integer");
    err = NULL;
    assert_false(object_property_set_int(obj, "flag", 1, &err));
    expect_error(err, "Invalid parameter type for 'flag', expected: boolean");
    err = NULL;
    assert_false(object_property_set_bool(obj, "name", true, &err));
    expect_error(err, "Invalid parameter type for 'name', expected: string");
    err = NULL;

    /* Out of range, value unchanged. */
    assert_false(object_property_set_uint(obj, "u8", 256, &err));
    expect_error(err, "Parameter 'u8' expects a value between 0 and 255");
    err = NULL;
    assert_false(object_property_set_int(obj, "u8", -1, &err));
    expect_error(err, "Parameter 'u8' expects a value between 0 and 255");
    err = NULL;
    assert_int_equal(a->u8, 255);
    assert_false(object_property_set_int(obj, "i32", 0x80000000LL, &err));
    expect_error(err, "Parameter 'i32' expects a value between -2147483648 "
                      "and 2147483647");
    err = NULL;
    assert_false(object_property_set_int(obj, "i32", INT32_MIN - 1LL, &err));
    expect_error(err, "Parameter 'i32' expects a value between -2147483648 "
                      "and 2147483647");
    err = NULL;
    assert_int_equal(a->i32, -5);
    assert_false(object_property_set_uint(obj, "u32", 1ULL << 32, &err));
    expect_error(err, "Parameter 'u32' expects a value between 0 and "
                      "4294967295");
    err = NULL;

    /* Read-only. */
    assert_false(object_property_set_int(obj, "legs", 3, &err));
    expect_error(err, "Property 'test-dog.legs' is not writable");
    err = NULL;
    assert_false(object_property_set_str(obj, "type", "x", &err));
    expect_error(err, "Property 'test-dog.type' is not writable");
    err = NULL;

    /* A setter's own error comes through. */
    assert_false(object_property_set_str(obj, "name", "", &err));
    expect_error(err, "name must not be empty");
    err = NULL;

    /* Duplicate names are refused. */
    assert_null(object_property_try_add(obj, "flag", "bool", NULL, NULL,
                                        NULL, NULL, &err));
    expect_error(err, "attempt to add duplicate property 'flag' to object "
                      "(type 'test-dog')");
    object_unref(obj);
}

static void test_property_parse_and_print(void **state)
{
    Object *obj = new_dog_with_props();
    TestAnimal *a = TEST_ANIMAL(obj);
    Error *err = NULL;

    assert_true(object_property_parse(obj, "u8", "0x10", &error_abort));
    assert_int_equal(a->u8, 16);
    assert_true(object_property_parse(obj, "i32", "-7", &error_abort));
    assert_int_equal(a->i32, -7);
    assert_true(object_property_parse(obj, "flag", "on", &error_abort));
    assert_true(a->flag);
    assert_true(object_property_parse(obj, "name", "fido", &error_abort));
    assert_string_equal(a->name, "fido");

    assert_false(object_property_parse(obj, "u8", "300", &err));
    expect_error(err, "Parameter 'u8' expects a value between 0 and 255");
    err = NULL;
    assert_false(object_property_parse(obj, "u8", "ten", &err));
    expect_error(err, "Parameter 'u8' expects a non-negative integer");
    err = NULL;
    assert_false(object_property_parse(obj, "flag", "maybe", &err));
    expect_error(err, "Parameter 'flag' expects 'on' or 'off'");
    err = NULL;
    assert_false(object_property_parse(obj, "bogus", "1", &err));
    expect_error(err, "Property 'test-dog.bogus' not found");

    char *s = object_property_print(obj, "u8", true, &error_abort);
    assert_string_equal(s, "16 (0x10)");
    free(s);
    s = object_property_print(obj, "u8", false, &error_abort);
    assert_string_equal(s, "16");
    free(s);
    s = object_property_print(obj, "name", true, &error_abort);
    assert_string_equal(s, "\"fido\"");
    free(s);
    s = object_property_print(obj, "flag", true, &error_abort);
    assert_string_equal(s, "true");
    free(s);
    object_unref(obj);
}

static void refuse_cats(const Object *obj, const char *name, Object *val,
                        Error **errp)
{
    if (val && !strcmp(TEST_ANIMAL(val)->name, "grumpy")) {
        error_setg(errp, "'%s' refuses grumpy animals", name);
    }
}

static void test_links(void **state)
{
    Object *box = object_new_container(object_get_root(), "test-links");
    Object *owner = object_new(TYPE_TEST_DOG);
    Object *dog = object_new(TYPE_TEST_DOG);
    Object *cat = object_new(TYPE_TEST_CAT);
    Object *grumpy = object_new(TYPE_TEST_PUPPY);
    TestAnimal *a = TEST_ANIMAL(owner);
    Error *err = NULL;

    object_property_add_child(box, "dog", dog);
    object_property_add_child(box, "cat", cat);
    object_property_add_child(box, "grumpy", grumpy);
    free(TEST_ANIMAL(grumpy)->name);
    TEST_ANIMAL(grumpy)->name = xstrdup("grumpy");
    object_property_add_link(owner, "friend", TYPE_TEST_DOG, &a->friend,
                             refuse_cats, OBJ_PROP_LINK_STRONG);
    assert_string_equal(object_property_get_type(owner, "friend", NULL),
                        "link<test-dog>");

    assert_true(object_property_set_str(owner, "friend", "/test-links/dog",
                                        &error_abort));
    assert_ptr_equal(a->friend, dog);
    assert_int_equal(dog->ref, 3);      /* caller, parent, link */
    char *s = object_property_get_str(owner, "friend", &error_abort);
    assert_string_equal(s, "/test-links/dog");
    free(s);

    /* Link to the wrong type, by path and by pointer. */
    assert_false(object_property_set_str(owner, "friend", "/test-links/cat",
                                         &err));
    expect_error(err, "Invalid parameter type for 'friend', expected: "
                      "test-dog");
    err = NULL;
    assert_false(object_property_set_link(owner, "friend", cat, &err));
    expect_error(err, "Invalid parameter type for 'friend', expected: "
                      "test-dog");
    err = NULL;
    assert_false(object_property_set_str(owner, "friend", "/test-links/none",
                                         &err));
    assert_int_equal(error_get_class(err), ERROR_CLASS_DEVICE_NOT_FOUND);
    expect_error(err, "Device '/test-links/none' not found");
    err = NULL;
    /* The check callback may refuse. */
    assert_false(object_property_set_link(owner, "friend", grumpy, &err));
    expect_error(err, "'friend' refuses grumpy animals");
    err = NULL;
    assert_ptr_equal(a->friend, dog);

    /* Links are followed by path resolution. */
    object_property_add_child(box, "owner", owner);
    assert_ptr_equal(object_resolve_path("/test-links/owner/friend", NULL),
                     dog);

    /* Clearing drops the strong reference. */
    assert_true(object_property_set_str(owner, "friend", "", &error_abort));
    assert_null(a->friend);
    assert_int_equal(dog->ref, 2);
    assert_true(object_property_set_link(owner, "friend", dog, &error_abort));

    object_unref(owner);
    object_unref(dog);
    object_unref(cat);
    object_unref(grumpy);
    object_unparent(box);
}

static void test_child_reparent_refused(void **state)
{
    Object *box = object_new_container(object_get_root(), "test-reparent");
    Object *a = object_new_container(box, "a");
    Object *b = object_new_container(box, "b");
    Object *dog = object_new(TYPE_TEST_DOG);
    Error *err = NULL;

    object_property_add_child(a, "dog", dog);
    assert_string_equal(object_get_typename(dog), TYPE_TEST_DOG);
    assert_string_equal(object_property_get_type(a, "dog", NULL),
                        "child<test-dog>");
    assert_null(object_property_try_add_child(b, "dog", dog, &err));
    expect_error(err, "Cannot add child 'dog' to object of type 'container': "
                      "object of type 'test-dog' is already child 'dog' of "
                      "an object of type 'container'");
    err = NULL;
    assert_ptr_equal(dog->parent, a);
    assert_null(object_property_find(b, "dog"));

    /* Child properties are read-only. */
    assert_false(object_property_set_str(a, "dog", "/", &err));
    expect_error(err, "Property 'container.dog' is not writable");

    /* After unparenting, it can move. */
    object_unparent(dog);
    assert_null(dog->parent);
    object_property_add_child(b, "dog", dog);
    char *path = object_get_canonical_path(dog);
    assert_string_equal(path, "/test-reparent/b/dog");
    free(path);
    object_unref(dog);
    object_unparent(box);
}

static void test_paths(void **state)
{
    Object *root = object_get_root();
    Object *unattached = container_get(root, "/test-machine/unattached");
    Object *machine = object_resolve_path("/test-machine", NULL);
    bool ambiguous;

    assert_non_null(machine);
    assert_ptr_equal(container_get(root, "/test-machine/unattached"),
                     unattached);

    Object *d0 = object_new(TYPE_TEST_DOG);
    Object *d1 = object_new(TYPE_TEST_PUPPY);
    Object *cat = object_new(TYPE_TEST_CAT);
    object_property_add_child(unattached, "device[*]", d0);
    object_property_add_child(unattached, "device[*]", d1);
    object_property_add_child(machine, "cat", cat);
    object_unref(d0);
    object_unref(d1);
    object_unref(cat);

    char *path = object_get_canonical_path(d1);
    assert_string_equal(path, "/test-machine/unattached/device[1]");
    free(path);
    path = object_get_canonical_path(root);
    assert_string_equal(path, "/");
    free(path);
    assert_string_equal(object_get_canonical_path_component(d0),
                        "device[0]");
    Object *loose = object_new(TYPE_TEST_DOG);
    assert_null(object_get_canonical_path(loose));

    /* Absolute. */
    assert_ptr_equal(object_resolve_path("/test-machine/unattached/device[0]",
                                         NULL), d0);
    assert_ptr_equal(object_resolve_path("/", NULL), root);
    assert_null(object_resolve_path("/test-machine/nothing", NULL));
    assert_null(object_resolve_path_type("/test-machine/cat", TYPE_TEST_DOG,
                                         NULL));
    assert_ptr_equal(object_resolve_path_type("/test-machine/unattached/"
                                              "device[1]", TYPE_TEST_DOG,
                                              NULL), d1);

    /* Partial: a unique suffix of a path. */
    ambiguous = true;
    assert_ptr_equal(object_resolve_path("cat", &ambiguous), cat);
    assert_false(ambiguous);
    assert_ptr_equal(object_resolve_path("unattached/device[1]", &ambiguous),
                     d1);
    assert_false(ambiguous);

    /* Ambiguous: two objects called "x". */
    Object *x1 = object_new_container(machine, "x");
    object_new_container(unattached, "x");
    ambiguous = false;
    assert_null(object_resolve_path("x", &ambiguous));
    assert_true(ambiguous);
    /* ...but a longer partial path is unique. */
    ambiguous = false;
    assert_ptr_equal(object_resolve_path("test-machine/x", &ambiguous), x1);
    assert_false(ambiguous);

    assert_ptr_equal(object_resolve_path_at(machine, "unattached/device[0]"),
                     d0);

    object_unref(loose);
    object_unparent(machine);
    assert_null(object_resolve_path("/test-machine", NULL));
}

static int count_children(Object *child, void *opaque)
{
    (*(int *)opaque)++;
    return 0;
}

static int find_cat(Object *child, void *opaque)
{
    return object_dynamic_cast(child, TYPE_TEST_CAT) ? 7 : 0;
}

static void test_child_foreach(void **state)
{
    Object *box = object_new_container(object_get_root(), "test-foreach");
    Object *inner = object_new_container(box, "inner");
    Object *cat = object_new(TYPE_TEST_CAT);
    int n = 0;

    object_new_container(box, "other");
    object_property_add_child(inner, "cat", cat);
    object_unref(cat);
    assert_int_equal(object_child_foreach(box, count_children, &n), 0);
    assert_int_equal(n, 2);
    n = 0;
    assert_int_equal(object_child_foreach_recursive(box, count_children, &n),
                     0);
    assert_int_equal(n, 3);
    assert_int_equal(object_child_foreach(box, find_cat, NULL), 0);
    assert_int_equal(object_child_foreach_recursive(box, find_cat, NULL), 7);
    object_unparent(box);
}

static TestAnimal *new_logged(const char *type, int id)
{
    TestAnimal *a = TEST_ANIMAL(object_new(type));
    a->log = finalize_log;
    a->log_id = id;
    return a;
}

static void test_refcount_finalize(void **state)
{
    finalize_count = 0;
    TestAnimal *parent = new_logged(TYPE_TEST_PUPPY, 1);
    TestAnimal *child = new_logged(TYPE_TEST_DOG, 2);
    TestAnimal *grandchild = new_logged(TYPE_TEST_CAT, 3);

    object_property_add_child(OBJECT(parent), "child", OBJECT(child));
    object_property_add_child(OBJECT(child), "gc", OBJECT(grandchild));
    object_unref(child);
    object_unref(grandchild);
    assert_int_equal(OBJECT(child)->ref, 1);
    assert_int_equal(finalize_count, 0);

    object_ref(parent);
    object_unref(parent);
    assert_int_equal(finalize_count, 0);

    /* The last reference: children first (released with the parent's
     * properties), then the parent, each most-derived type first. */
    object_unref(parent);
    static const int expected[] = { 31, 22, 21, 13, 12, 11 };
    assert_int_equal(finalize_count, ARRAY_SIZE(expected));
    for (size_t i = 0; i < ARRAY_SIZE(expected); i++) {
        assert_int_equal(finalize_log[i], expected[i]);
    }

    /* A child kept alive by another reference outlives its parent. */
    finalize_count = 0;
    parent = new_logged(TYPE_TEST_DOG, 4);
    child = new_logged(TYPE_TEST_CAT, 5);
    object_property_add_child(OBJECT(parent), "child", OBJECT(child));
    object_unref(parent);
    assert_int_equal(finalize_count, 2);
    assert_null(OBJECT(child)->parent);
    object_unref(child);
    assert_int_equal(finalize_count, 3);
    assert_int_equal(finalize_log[2], 51);
}

static void test_embedded_child(void **state)
{
    struct {
        TestAnimal dog;
    } *holder = xnew(typeof(*holder));
    Object *box = object_new_container(object_get_root(), "test-embedded");

    finalize_count = 0;
    object_initialize_child(box, "dog", &holder->dog, sizeof(holder->dog),
                            TYPE_TEST_DOG);
    holder->dog.log = finalize_log;
    assert_int_equal(OBJECT(&holder->dog)->ref, 1);
    object_unparent(box);
    assert_int_equal(finalize_count, 2);    /* dog, animal: not freed */
    free(holder);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_hierarchy),
        cmocka_unit_test(test_class_list),
        cmocka_unit_test(test_abstract_not_instantiable),
        cmocka_unit_test(test_casts),
        cmocka_unit_test(test_failed_checked_cast_aborts),
        cmocka_unit_test(test_properties),
        cmocka_unit_test(test_property_parse_and_print),
        cmocka_unit_test(test_links),
        cmocka_unit_test(test_child_reparent_refused),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_child_foreach),
        cmocka_unit_test(test_refcount_finalize),
        cmocka_unit_test(test_embedded_child),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
