/*
 * Common include for cmocka unit tests: cmocka needs the standard headers
 * before its own.
 */
#ifndef TESTS_UNIT_TEST_H
#define TESTS_UNIT_TEST_H

#include "util/osdep.h"
#include <setjmp.h>
#include <cmocka.h>

#endif
