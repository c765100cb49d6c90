package orchestrate.controller; public class Main { public static void main(String[] a){} }
